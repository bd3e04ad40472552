"""The one door through which checks reach a student's functions.

Checks ask two questions — "what does your loss do on these numbers?" and "what does
`update()` do to this parameter?" — and get back plain observations. `InProcessStudent` answers
them by calling the functions in a namespace; it runs inside a notebook kernel (nbgrader's
grade cells) and inside the sandboxed student process, so both paths observe the same things.
`autograder.remote.RemoteStudent` asks the same questions across a process boundary.
"""

from __future__ import annotations

import contextlib
import io
import traceback
import warnings
from collections.abc import Iterator, MutableMapping
from typing import Any, Protocol

from . import lesson
from .observations import LossRun, ParameterState, UpdateRun

LOSS_NAME = "mean_squared_error"
UPDATE_NAME = "update"
_GLOBALS_UPDATE_READS = ("a", "x", "y", LOSS_NAME)
_MAX_CAPTURED_OUTPUT = 64 * 1024


class Student(Protocol):
    """What a check may ask of a student's work."""

    def loss(self, y: list[float], y_guess: list[float]) -> LossRun: ...

    def updates(self, start: list[float], calls: int) -> UpdateRun: ...


def describe_error(error: BaseException) -> str:
    """`Type: message (cell N, line L)`, pointing at the student's own code where possible."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.startswith("<cell"):
            where = f" ({frame.filename.strip('<>')}, line {frame.lineno})"
            break
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}{': ' if text else ''}{text}{where}"[:500]


def _flat(tensor: Any) -> list[float]:
    import torch

    with torch._C.DisableTorchFunction():
        return [float(v) for v in torch.Tensor.detach(tensor).reshape(-1).tolist()]


def reference_loss(y: Any, y_guess: Any) -> Any:
    """A correct loss, put in place while `update()` is observed.

    Update checks judge the step, not the loss; giving `update()` a correct loss means one
    mistake in `mean_squared_error` costs points once, in the loss checks.
    """
    return ((y_guess - y) ** 2).mean()


class InProcessStudent:
    """Answers checks by calling the functions found in `namespace`."""

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.namespace = namespace
        self.output = io.StringIO()

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Keep the student's prints and warnings out of the grader's streams."""
        with (
            contextlib.redirect_stdout(self.output),
            contextlib.redirect_stderr(self.output),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
        if self.output.tell() > _MAX_CAPTURED_OUTPUT:
            self.output = io.StringIO()

    def _function(self, name: str) -> Any:
        function = self.namespace.get(name)
        if function is None:
            raise NameError(f"name '{name}' is not defined")
        if not callable(function):
            raise TypeError(f"'{name}' is not a function")
        return function

    def loss(self, y: list[float], y_guess: list[float]) -> LossRun:
        import torch

        targets = torch.tensor(y, dtype=torch.float32)
        guess_leaf = torch.tensor(y_guess, dtype=torch.float32, requires_grad=True)
        guess = guess_leaf * 1.0  # like `x @ a`: part of a graph, not a leaf
        result = error = grad = grad_error = None
        with self._quietly():
            try:
                result = self._function(LOSS_NAME)(targets, guess)
            except Exception as raised:
                error = describe_error(raised)
            if error is None and isinstance(result, torch.Tensor):
                try:
                    result.backward()
                    if guess_leaf.grad is not None:
                        grad = _flat(guess_leaf.grad)
                    else:
                        grad_error = "no gradient reached y_guess"
                except Exception as raised:
                    grad_error = describe_error(raised)
        return LossRun(
            error=error,
            returned=None if error else _kind(result),
            shape=list(result.shape) if isinstance(result, torch.Tensor) else None,
            values=_values(result),
            tracks_gradient=isinstance(result, torch.Tensor) and result.requires_grad,
            grad=grad,
            grad_error=grad_error if error is None else None,
            y_after=_flat(targets),
            y_guess_after=_flat(guess),
        )

    def updates(self, start: list[float], calls: int) -> UpdateRun:
        import torch
        from torch import nn

        x, y = lesson.make_data()
        parameter = nn.Parameter(torch.tensor(start, dtype=torch.float32))
        saved = {
            name: self.namespace[name] for name in _GLOBALS_UPDATE_READS if name in self.namespace
        }
        self.namespace.update({"a": parameter, "x": x, "y": y, LOSS_NAME: reference_loss})
        states: list[ParameterState] = []
        error = None
        try:
            update = self._function(UPDATE_NAME)
            with self._quietly():
                for _ in range(calls):
                    update()
                    states.append(self._state(parameter))
        except Exception as raised:
            error = describe_error(raised)
        finally:
            for name in _GLOBALS_UPDATE_READS:
                self.namespace.pop(name, None)
            self.namespace.update(saved)
        return UpdateRun(start=list(start), calls=calls, after_each_call=states, error=error)

    def _state(self, parameter: Any) -> ParameterState:
        import torch
        from torch import nn

        grad = parameter.grad
        return ParameterState(
            values=_flat(parameter),
            grad=_flat(grad) if isinstance(grad, torch.Tensor) else None,
            still_bound=self.namespace.get("a") is parameter,
            is_parameter=isinstance(parameter, nn.Parameter),
            is_leaf=bool(parameter.is_leaf),
            requires_grad=bool(parameter.requires_grad),
        )


def _kind(result: Any) -> str:
    import torch

    if isinstance(result, torch.Tensor):
        return "tensor"
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return "number"
    return type(result).__name__[:100]


def _values(result: Any) -> list[float] | None:
    import torch

    if isinstance(result, torch.Tensor):
        return _flat(result) if result.numel() <= 4096 else None
    if isinstance(result, (int, float)) and not isinstance(result, bool):
        return [float(result)]
    return None


class StudentUnavailable(Exception):
    """The student's code could not answer (it crashed, timed out, or broke the protocol).

    The message is written for the student; checks that meet it fail with it.
    """


class RecordingStudent:
    """Asks each distinct question once and keeps every answer, for checks and for feedback."""

    def __init__(self, student: Student) -> None:
        self._student = student
        self.answers: dict[tuple[Any, ...], LossRun | UpdateRun] = {}

    def loss(self, y: list[float], y_guess: list[float]) -> LossRun:
        key = ("loss", tuple(y), tuple(y_guess))
        if key not in self.answers:
            self.answers[key] = self._student.loss(y, y_guess)
        return self.answers[key]  # type: ignore[return-value]

    def updates(self, start: list[float], calls: int) -> UpdateRun:
        """From the lesson's first guess, the whole training run is asked for once.

        The state after call k of a run does not depend on the calls after it, so shorter
        questions from the first guess read the start of that run.
        """
        if tuple(start) == lesson.FIRST_GUESS and calls < lesson.EPOCHS:
            return first_calls(self.updates(start, lesson.EPOCHS), calls)
        key = ("updates", tuple(start), calls)
        if key not in self.answers:
            self.answers[key] = self._student.updates(start, calls)
        return self.answers[key]  # type: ignore[return-value]


def first_calls(run: UpdateRun, calls: int) -> UpdateRun:
    """What `calls` calls of a longer run did: its first states, and its error if it came."""
    states = run.after_each_call[:calls]
    error = run.error if len(states) < calls else None
    return UpdateRun(start=run.start, calls=calls, after_each_call=states, error=error)
