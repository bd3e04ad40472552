"""Watching the notebook's own training cell call `update()`.

`TrainingWatch` records what each call did to `a`, with whatever loss the notebook holds: what
the student saw happen when their notebook trained (shown on their page, never graded; so the
judge asks for it only while the page may show it, `results.shows_own_training`).
`LessonWatch` reads the lesson itself: run over the release with correct answers, it notes
what the training cell works with at its first call of `update()` (the data, the first guess,
the learning rate) and how many calls it makes, which cell last set each of them, and the
plain values the notebook sets between the loss's graded cell and the training cell (a number
of epochs, say), which the training cell may read when it is run to ask the loss.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, MutableMapping
from types import CodeType, FrameType
from typing import Any

from autograder.exercise import LOSS_CATEGORY
from autograder.inside.observations import ParameterState, UpdateRun
from autograder.inside.reporter import (
    UPDATE_NAME,
    describe_error,
    parameter_state,
    read_numbers,
    value_kind,
)
from autograder.lesson import MAX_NAMES_FOR_TRAINING, fit_for_training

LESSON_NAMES = ("x", "y", "lr")  # what update() reads besides `a`
MAX_LESSON_VALUES = 4096


class TrainingWatch:
    """Records every call the training cell makes of the student's `update`, by watching
    its code run (a profile hook), not by replacing it: the notebook's own names stay exactly
    what the student made them, as in a kernel."""

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.namespace = namespace
        self.start: list[float] = []
        self.states: list[ParameterState] = []
        self.failure: str | None = None

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        code = _code_of(self.namespace.get(UPDATE_NAME))
        if code is None:  # not Python code (a builtin, say): its training is not shown
            yield
            return
        depth, watched = 0, None

        def profile(frame: FrameType, event: str, arg: Any) -> None:
            nonlocal depth, watched
            if frame.f_code is not code:
                return
            if event == "call":
                depth += 1
                if depth == 1:
                    watched = self.namespace.get("a")
                    if not self.states and not self.start:
                        self.start = parameter_state(watched, self.namespace).values or []
            elif event == "return":
                depth -= 1
                if depth == 0:
                    self.states.append(parameter_state(watched, self.namespace))

        previous = sys.getprofile()
        sys.setprofile(profile)
        try:
            yield
        finally:
            sys.setprofile(previous)

    def run(self, error: str | None) -> UpdateRun:
        """The calls recorded; `error` is how the training cell ended, if it raised."""
        return UpdateRun(self.start, len(self.states), self.states, error)


def _code_of(function: Any) -> CodeType | None:
    """The code a call of `function` runs: a function's own, or its `__call__`'s."""
    candidates = [function, type(function).__call__] if callable(function) else []
    for candidate in candidates:
        code = getattr(candidate, "__code__", None)
        if isinstance(code, CodeType):
            return code
    return None


def described(value: Any, most: int = MAX_LESSON_VALUES) -> dict[str, Any]:
    """A value as the lesson's reader needs it: what it is, its shape and dtype, its numbers."""
    import torch
    from torch import nn

    if value is None:
        return {"kind": "missing"}
    values, problem = read_numbers(value, most)
    is_tensor = type(value) in (torch.Tensor, nn.Parameter)
    return {
        "kind": value_kind(value),
        "is_parameter": type(value) is nn.Parameter,
        "dtype": str(value.dtype).removeprefix("torch.") if is_tensor else None,
        "shape": list(value.shape) if is_tensor else None,
        "values": values,
        "problem": problem,
    }


class LessonWatch:
    """Over the release run with correct answers: the training cell's first call of update()
    and its number of calls, and the cell that last bound each name the lesson is made of."""

    def __init__(self, namespace: MutableMapping[str, Any], training: str) -> None:
        self.namespace = namespace
        self.training = training  # the training cell's label
        self.bound_by: dict[str, str | None] = dict.fromkeys(LESSON_NAMES)
        self.first_call: dict[str, Any] | None = None
        self.changed: dict[str, int] = {}  # a name of the lesson, the call it first differed at
        self.calls = 0
        self.failure: str | None = None
        self.ran_training = False
        self.names_at_the_loss: set[str] | None = None
        self.names_for_training: dict[str, Any] = {}

    def reached(self, category: str) -> None:
        """The run has come to a category's graded cell: at the loss's, note what it holds."""
        if category == LOSS_CATEGORY:
            self.names_at_the_loss = set(self.namespace)

    @contextlib.contextmanager
    def watching(self, label: str) -> Iterator[None]:
        before = {name: self.namespace.get(name) for name in LESSON_NAMES}
        if label == self.training and self.names_at_the_loss is not None:
            self.names_for_training = self._set_since_the_loss()
        with self._counting() if label == self.training else contextlib.nullcontext():
            try:
                yield
            finally:
                for name in LESSON_NAMES:
                    if self.namespace.get(name) is not before[name]:
                        self.bound_by[name] = label
                self.ran_training = self.ran_training or label == self.training

    @contextlib.contextmanager
    def _counting(self) -> Iterator[None]:
        original = self.namespace.get(UPDATE_NAME)

        def update(*args: Any, **kwargs: Any) -> Any:
            if self.first_call is None:
                self.first_call = {
                    name: described(self.namespace.get(name)) for name in ("a", *LESSON_NAMES)
                }
            else:
                self._note_changes(self.calls + 1)
            self.calls += 1
            try:
                return original(*args, **kwargs)  # type: ignore[misc]
            except BaseException as error:
                self.failure = self.failure or describe_error(error)
                raise

        self.namespace[UPDATE_NAME] = update
        try:
            yield
        finally:
            if self.namespace.get(UPDATE_NAME) is update:
                self.namespace[UPDATE_NAME] = original

    def _set_since_the_loss(self) -> dict[str, Any]:
        """The names the notebook set since the loss's graded cell that can travel with the
        lesson (the data and the learning rate are facts of their own)."""
        assert self.names_at_the_loss is not None
        found = {
            name: value
            for name, value in self.namespace.items()
            if name not in self.names_at_the_loss
            and name not in (*LESSON_NAMES, "a")
            and fit_for_training(name, value)
        }
        return dict(sorted(found.items())[:MAX_NAMES_FOR_TRAINING])

    def _note_changes(self, call: int) -> None:
        """Note each name of the lesson (the data, the learning rate) that differs at `call`
        from what it was at the first: a schedule, or data that moves, is no lesson the
        checks can judge every call of."""
        assert self.first_call is not None
        for name in LESSON_NAMES:
            if (
                name not in self.changed
                and described(self.namespace.get(name)) != (self.first_call[name])
            ):
                self.changed[name] = call

    def facts(self) -> dict[str, Any]:
        return {
            "ran_training": self.ran_training,
            "calls": self.calls,
            "changed": self.changed,
            "failure": self.failure,
            "first_call": self.first_call,
            "bound_by": self.bound_by,
            "names_for_training": self.names_for_training,
        }
