"""What a student's functions did, as plain numbers.

These records are the only thing that crosses from a student process to the judge. They are
built from JSON with strict shape checks, so a hostile process can send wrong numbers but never
objects, code or surprises; the judge rebuilds real tensors from the numbers before it compares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_VALUES = 4096
MAX_TEXT = 2000


class MalformedObservation(ValueError):
    """A student process answered with something that is not a valid observation."""


def _floats(raw: Any, field: str, allow_none: bool = False) -> list[float] | None:
    if raw is None and allow_none:
        return None
    if not isinstance(raw, list) or len(raw) > MAX_VALUES:
        raise MalformedObservation(f"{field} must be a list of at most {MAX_VALUES} numbers")
    values = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MalformedObservation(f"{field} must hold only numbers")
        values.append(float(value))
    return values


def _text(raw: Any, field: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise MalformedObservation(f"{field} must be text")
    return raw[:MAX_TEXT]


def _flag(raw: Any, field: str) -> bool:
    if not isinstance(raw, bool):
        raise MalformedObservation(f"{field} must be true or false")
    return raw


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise MalformedObservation(f"{what} must be a JSON object")
    return raw


@dataclass(frozen=True)
class LossRun:
    """One call `mean_squared_error(y, y_guess)` followed by `backward()` on its result."""

    error: str | None
    returned: str | None  # "tensor", "number", or the type's name
    shape: list[int] | None
    values: list[float] | None  # flattened result (a single value for a 0-dim tensor)
    tracks_gradient: bool  # the result is part of the autograd graph
    grad: list[float] | None  # d result / d y_guess after backward()
    grad_error: str | None
    y_after: list[float]
    y_guess_after: list[float]

    @property
    def value(self) -> float | None:
        return self.values[0] if self.values and len(self.values) == 1 else None

    def to_json(self) -> dict[str, Any]:
        return dict(vars(self))

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
            returned=_text(raw.get("returned"), "returned"),
            shape=shape,
            values=_floats(raw.get("values"), "values", allow_none=True),
            tracks_gradient=_flag(raw.get("tracks_gradient"), "tracks_gradient"),
            grad=_floats(raw.get("grad"), "grad", allow_none=True),
            grad_error=_text(raw.get("grad_error"), "grad_error"),
            y_after=_floats(raw.get("y_after"), "y_after") or [],
            y_guess_after=_floats(raw.get("y_guess_after"), "y_guess_after") or [],
        )


@dataclass(frozen=True)
class ParameterState:
    """The parameter `a` the judge handed to `update()`, read back after one call."""

    values: list[float]
    grad: list[float] | None  # None when a.grad is None
    still_bound: bool  # the global name `a` still refers to the same object
    is_parameter: bool
    is_leaf: bool
    requires_grad: bool

    @classmethod
    def from_json(cls, raw: Any) -> ParameterState:
        raw = _object(raw, "a parameter state")
        return cls(
            values=_floats(raw.get("values"), "values") or [],
            grad=_floats(raw.get("grad"), "grad", allow_none=True),
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

    @property
    def completed(self) -> int:
        return len(self.after_each_call)

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "calls": self.calls,
            "after_each_call": [vars(state) for state in self.after_each_call],
            "error": self.error,
        }

    @classmethod
    def from_json(cls, raw: Any) -> UpdateRun:
        raw = _object(raw, "an update observation")
        states = raw.get("after_each_call")
        if not isinstance(states, list) or len(states) > 1000:
            raise MalformedObservation("after_each_call must be a list of parameter states")
        calls = raw.get("calls")
        if not isinstance(calls, int) or isinstance(calls, bool) or not 0 <= calls <= 1000:
            raise MalformedObservation("calls must be a small whole number")
        if len(states) > calls:
            raise MalformedObservation("more states than calls")
        return cls(
            start=_floats(raw.get("start"), "start") or [],
            calls=calls,
            after_each_call=[ParameterState.from_json(state) for state in states],
            error=_text(raw.get("error"), "error"),
        )


def all_finite(values: list[float] | None) -> bool:
    return values is not None and all(math.isfinite(v) for v in values)
