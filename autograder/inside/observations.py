"""The questions the judge asks a student's code, and what the code did, as plain numbers.

These records are the only thing that crosses from a student process to the judge. They are
built from JSON with strict shape checks, so a hostile process can send wrong numbers but never
objects, code or surprises; the judge rebuilds real tensors from the numbers before it compares.
Text in them is made printable (see `autograder.text`) the moment it is read. Lists of numbers
travel packed (`packed`): each number's float64 bytes, in base64.
"""

from __future__ import annotations

import binascii
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from autograder.text import printable

MAX_VALUES = 4096
MAX_PARAMETER_VALUES = 64  # `a` has two; more is reported as a problem, not sent
MAX_CALLS = 1000
MAX_CALLS_IN_TRAINING = 4 * MAX_CALLS  # of the loss, by one run of the training cell
OTHER_INPUTS = -1  # where a loss call's inputs were not `y` and `x @ a` at a position
INPUT_NAMES = ("y", "y_guess", "x", "a")  # what a call of the loss may change in place
MAX_TEXT = 2000


class MalformedObservation(ValueError):
    """A student process answered with something that is not a valid observation."""


def packed(values: Sequence[float]) -> str:
    """A list of numbers as it travels and is kept: each one's float64 bytes (little-endian),
    in base64. Exact, NaN and infinities included, and several times quicker to write and to
    read than decimal text: some 6,200 numbers cross the channel for each student."""
    return binascii.b2a_base64(_layout(len(values)).pack(*values), newline=False).decode("ascii")


@lru_cache(maxsize=64)
def _layout(count: int) -> struct.Struct:
    return struct.Struct(f"<{count}d")


def _packed_or_none(values: Sequence[float] | None) -> str | None:
    return None if values is None else packed(values)


def _base64_length(size: int) -> int:
    """How many characters base64 writes for `size` bytes."""
    return 4 * -(-size // 3)


def _floats(raw: Any, field: str, allow_none: bool = False, most: int = MAX_VALUES) -> Any:
    """The numbers `packed` made, at most `most` of them; anything else is refused."""
    if raw is None and allow_none:
        return None
    if not isinstance(raw, str) or len(raw) > _base64_length(8 * most):
        raise MalformedObservation(f"{field} must be at most {most} packed numbers")
    try:
        data = binascii.a2b_base64(raw, strict_mode=True)
    except ValueError:  # binascii.Error too: not base64, or text that is not ASCII
        raise MalformedObservation(f"{field} must be numbers packed in base64") from None
    if len(data) % 8:
        raise MalformedObservation(f"{field} must be whole float64 numbers")
    return list(_layout(len(data) // 8).unpack(data))


def _text(raw: Any, field: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise MalformedObservation(f"{field} must be text")
    return printable(raw, MAX_TEXT)


def _flag(raw: Any, field: str) -> bool:
    if not isinstance(raw, bool):
        raise MalformedObservation(f"{field} must be true or false")
    return raw


def _names(raw: Any, field: str) -> tuple[str, ...]:
    if (
        not isinstance(raw, list)
        or not all(isinstance(name, str) and name in INPUT_NAMES for name in raw)
        or len(set(raw)) != len(raw)
    ):
        raise MalformedObservation(f"{field} must name inputs among {INPUT_NAMES}, each once")
    return tuple(raw)


def _index(raw: Any, field: str) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < OTHER_INPUTS:
        raise MalformedObservation(f"{field} must hold positions' indexes")
    return raw


def _count(raw: Any, field: str, most: int) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= most:
        raise MalformedObservation(f"{field} must be a whole number from 0 to {most}")
    return raw


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MalformedObservation(f"{what} must be a JSON object")
    return raw


@dataclass(frozen=True)
class LossQuestion:
    """ "What does `mean_squared_error(y, y_guess)` do?" `y_guess` is part of a graph, as `x @ a`
    is in training, or a `plain` tensor, as in a cell that only prints a loss; `repeat` asks
    the same again."""

    y: tuple[float, ...]
    y_guess: tuple[float, ...]
    repeat: int = 0
    plain: bool = False

    def to_json(self) -> list[Any]:
        return ["loss", packed(self.y), packed(self.y_guess), self.repeat, self.plain]


@dataclass(frozen=True)
class LossTrainingQuestion:
    """ "What does `mean_squared_error` do as the lesson's training cell calls it, with `a` an
    `nn.Parameter` at each of these positions in turn?" The cell is run: its `update()` calls
    the loss on `x @ a` as update() does, at one position per call, and the cell makes its own
    calls (its loss per epoch)."""

    positions: tuple[tuple[float, ...], ...]

    def to_json(self) -> list[Any]:
        return ["loss_training", [packed(position) for position in self.positions]]


@dataclass(frozen=True)
class UpdateQuestion:
    """ "What do `calls` calls of `update()` do to `a = nn.Parameter(start)`?" With the lesson's
    data and learning rate, and always with a correct loss in place of the student's."""

    start: tuple[float, ...]
    calls: int

    def to_json(self) -> list[Any]:
        return ["updates", packed(self.start), self.calls]


Question = LossQuestion | LossTrainingQuestion | UpdateQuestion
TRAINING = ["training"]  # how a record names the notebook's own training run (own loss)


def question_from_json(raw: Any) -> Question:
    """A question as sent over the channel or kept in a record."""
    if not isinstance(raw, list) or not raw:
        raise MalformedObservation("a question must be a non-empty list")
    kind, *fields = raw
    if kind == "loss" and len(fields) == 4:
        y, y_guess, repeat, plain = fields
        return LossQuestion(
            tuple(_floats(y, "y")),
            tuple(_floats(y_guess, "y_guess")),
            _count(repeat, "repeat", 10),
            _flag(plain, "plain"),
        )
    if kind == "loss_training" and len(fields) == 1:
        positions = fields[0]
        if not isinstance(positions, list) or len(positions) > MAX_CALLS:
            raise MalformedObservation(f"positions must be a list of at most {MAX_CALLS}")
        return LossTrainingQuestion(
            tuple(
                tuple(_floats(position, "position", most=MAX_PARAMETER_VALUES))
                for position in positions
            )
        )
    if kind == "updates" and len(fields) == 2:
        start, calls = fields
        return UpdateQuestion(
            tuple(_floats(start, "start", most=MAX_PARAMETER_VALUES)),
            _count(calls, "calls", MAX_CALLS),
        )
    raise MalformedObservation("unknown question")


@dataclass(frozen=True)
class LossRun:
    """One call `mean_squared_error(y, y_guess)` followed by `backward()` on its result."""

    error: str | None  # the exception the call raised
    undefined: bool  # there was no function of that name to call
    returned: str | None  # "tensor", "number", or the type's name
    shape: list[int] | None
    values: list[float] | None  # flattened result (a single value for a 0-dim tensor)
    problem: str | None  # why the values could not be read (complex, meta, too many, ...)
    tracks_gradient: bool  # the result is part of the autograd graph
    grad: list[float] | None  # d result / d y_guess (d result / d a for x @ a) after backward()
    grad_error: str | None
    changed: tuple[str, ...] = ()  # the inputs the call changed in place (`INPUT_NAMES`)

    @property
    def value(self) -> float | None:
        return self.values[0] if self.values and len(self.values) == 1 else None

    def to_json(self) -> dict[str, Any]:
        return {
            **vars(self),
            "values": _packed_or_none(self.values),
            "grad": _packed_or_none(self.grad),
            "changed": list(self.changed),
        }

    @classmethod
    def from_json(cls, raw: Any) -> LossRun:
        raw = _object(raw, "a loss observation")
        shape = raw.get("shape")
        if shape is not None and (
            not isinstance(shape, list)
            or len(shape) > 8
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
        ):
            raise MalformedObservation("shape must be a short list of sizes")
        return cls(
            error=_text(raw.get("error"), "error"),
            undefined=_flag(raw.get("undefined", False), "undefined"),
            returned=_text(raw.get("returned"), "returned"),
            shape=shape,
            values=_floats(raw.get("values"), "values", allow_none=True),
            problem=_text(raw.get("problem"), "problem"),
            tracks_gradient=_flag(raw.get("tracks_gradient"), "tracks_gradient"),
            grad=_floats(raw.get("grad"), "grad", allow_none=True),
            grad_error=_text(raw.get("grad_error"), "grad_error"),
            changed=_names(raw.get("changed", []), "changed"),
        )


@dataclass(frozen=True)
class ParameterState:
    """The parameter `a` the judge handed to `update()`, read back after one call."""

    values: list[float] | None  # None when `a` could not be read as real numbers
    grad: list[float] | None  # None when a.grad is None (or unreadable)
    still_bound: bool  # the global name `a` still refers to the same object
    is_parameter: bool
    is_leaf: bool
    requires_grad: bool

    def to_json(self) -> dict[str, Any]:
        return {
            **vars(self),
            "values": _packed_or_none(self.values),
            "grad": _packed_or_none(self.grad),
        }

    @classmethod
    def from_json(cls, raw: Any) -> ParameterState:
        raw = _object(raw, "a parameter state")
        return cls(
            values=_floats(raw.get("values"), "values", True, MAX_PARAMETER_VALUES),
            grad=_floats(raw.get("grad"), "grad", True, MAX_PARAMETER_VALUES),
            still_bound=_flag(raw.get("still_bound"), "still_bound"),
            is_parameter=_flag(raw.get("is_parameter"), "is_parameter"),
            is_leaf=_flag(raw.get("is_leaf"), "is_leaf"),
            requires_grad=_flag(raw.get("requires_grad"), "requires_grad"),
        )


@dataclass(frozen=True)
class UpdateRun:
    """`calls` calls of `update()` from a fresh `a = nn.Parameter(start)`, state after each."""

    start: list[float]
    calls: int
    after_each_call: list[ParameterState]  # one entry per call that returned
    error: str | None  # the exception of the call that raised, if any
    undefined: bool = False  # there was no function `update` to call
    training_failed: bool = False  # `error` is the training cell's own, outside update()

    @property
    def completed(self) -> int:
        return len(self.after_each_call)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": packed(self.start),
            "calls": self.calls,
            "after_each_call": [state.to_json() for state in self.after_each_call],
            "error": self.error,
            "undefined": self.undefined,
            "training_failed": self.training_failed,
        }

    @classmethod
    def from_json(cls, raw: Any) -> UpdateRun:
        raw = _object(raw, "an update observation")
        states = raw.get("after_each_call")
        if not isinstance(states, list) or len(states) > MAX_CALLS:
            raise MalformedObservation("after_each_call must be a list of parameter states")
        calls = _count(raw.get("calls"), "calls", MAX_CALLS)
        if len(states) > calls:
            raise MalformedObservation("more states than calls")
        return cls(
            start=_floats(raw.get("start"), "start", most=MAX_PARAMETER_VALUES),
            calls=calls,
            after_each_call=[ParameterState.from_json(state) for state in states],
            error=_text(raw.get("error"), "error"),
            undefined=_flag(raw.get("undefined", False), "undefined"),
            training_failed=_flag(raw.get("training_failed", False), "training_failed"),
        )


@dataclass(frozen=True)
class LossTrainingRun:
    """The calls a `LossTrainingQuestion` was answered with, in order: those update() made,
    one per position, and the training cell's own, each with the position it was made at (an
    index into the question's positions; `OTHER_INPUTS` for a call on inputs other than `y`
    and `x @ a`). `replay_failed` says why the training cell could not make them, where it
    could not; they were then made from a loop of the kit's own, one of each per position."""

    in_update: list[LossRun]
    by_the_cell: list[LossRun]
    by_the_cell_at: list[int]
    replay_failed: str | None = None

    def calls(self, by_the_cell: bool) -> list[tuple[int, LossRun]]:
        """(position's index, call) of update()'s calls, or of the cell's own, in order."""
        if by_the_cell:
            return list(zip(self.by_the_cell_at, self.by_the_cell, strict=True))
        return list(enumerate(self.in_update))

    def to_json(self) -> dict[str, Any]:
        return {
            "in_update": [call.to_json() for call in self.in_update],
            "by_the_cell": [call.to_json() for call in self.by_the_cell],
            "by_the_cell_at": list(self.by_the_cell_at),
            "replay_failed": self.replay_failed,
        }

    @classmethod
    def from_json(cls, raw: Any) -> LossTrainingRun:
        raw = _object(raw, "a loss training observation")
        in_update, by_the_cell = raw.get("in_update"), raw.get("by_the_cell")
        at = raw.get("by_the_cell_at")
        if not isinstance(in_update, list) or len(in_update) > MAX_CALLS:
            raise MalformedObservation("in_update must be a list of loss observations")
        if not isinstance(by_the_cell, list) or len(by_the_cell) > MAX_CALLS_IN_TRAINING:
            raise MalformedObservation("by_the_cell must be a list of loss observations")
        if not isinstance(at, list) or len(at) != len(by_the_cell):
            raise MalformedObservation("by_the_cell_at must name one position per call")
        return cls(
            [LossRun.from_json(call) for call in in_update],
            [LossRun.from_json(call) for call in by_the_cell],
            [_index(index, "by_the_cell_at") for index in at],
            _text(raw.get("replay_failed"), "replay_failed"),
        )


Answer = LossRun | LossTrainingRun | UpdateRun


def answer_from_json(question: Question, raw: Any) -> Answer:
    """The answer to `question`, validated for its kind (and, for a loss along training, at
    the positions asked about: update()'s calls, one per position)."""
    if isinstance(question, LossQuestion):
        return LossRun.from_json(raw)
    if isinstance(question, LossTrainingQuestion):
        answer = LossTrainingRun.from_json(raw)
        if len(answer.in_update) != len(question.positions):
            raise MalformedObservation("one loss observation per position was expected")
        if any(index >= len(question.positions) for index in answer.by_the_cell_at):
            raise MalformedObservation("a loss observation names a position not asked about")
        return answer
    return UpdateRun.from_json(raw)


def all_finite(values: list[float] | None) -> bool:
    return values is not None and all(math.isfinite(v) for v in values)
