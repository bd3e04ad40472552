"""The judge's own maths: what a correct answer produces, in float64, on the lesson the
instructor's notebook states.

Only the judge imports this. Expected values are computed here from the lesson (see
`autograder.lesson`) and the hidden inputs; they never travel to a student process. The maths
is numpy's, not torch's: the same IEEE arithmetic on a handful of numbers, without loading
torch into the judge (1.4 s and ~140 MB per process; the student processes already hold it).
A student's numbers may overflow or be NaN, and so may the maths on them: callers judging
them do so inside `ieee_arithmetic`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from autograder.lesson import Lesson

FEW_STEPS = 20  # more correct steps than this in one call is no longer "using the gradient"
CONVERGENCE_SHARE = 0.005  # training must cover all but this share of the way to the fit
POSITION_SHARE = 1e-4  # positions this close (relative to the lesson's scale) are the same
STEP_SHARE = 1e-3  # a step this close to the right one (relative to its length) is the right one
ROUNDING_SHARE = 2.0**-20  # 8 times float32's rounding of `a` (2^-23 of its size)
_DTYPES = {"float32": np.float32, "float64": np.float64}

Floats = NDArray[np.float64]  # numbers in the judge's float64 maths: a position, rows of them
Flags = NDArray[np.bool_]  # a yes or no for each row


def ieee_arithmetic() -> np.errstate:
    """Overflow gives inf and 0/0 NaN, without a warning: what the student's torch does, and
    what the checks compare against."""
    return np.errstate(all="ignore")


def as_floats(values: list[float] | tuple[float, ...]) -> Floats:
    return np.array(list(values), dtype=np.float64)


def mean_squared_error(y: Floats, y_guess: Floats) -> float:
    return float(((y_guess - y) ** 2).mean())


def loss_gradient(y: Floats, y_guess: Floats) -> Floats:
    """d/d y_guess of mean((y_guess - y)^2) = 2 (y_guess - y) / n."""
    return 2 * (y_guess - y) / len(y)


@dataclass(frozen=True)
class Reference:
    """The lesson's data in float64, with the answers a correct solution gives."""

    lesson: Lesson
    x: Floats = field(init=False)
    y: Floats = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", np.array(self.lesson.x, dtype=np.float64))
        object.__setattr__(self, "y", np.array(self.lesson.y, dtype=np.float64))

    @property
    def lr(self) -> float:
        return self.lesson.lr

    @property
    def epochs(self) -> int:
        return self.lesson.epochs

    @property
    def dtype(self) -> type[np.floating]:
        return _DTYPES[self.lesson.dtype]

    @property
    def first_guess(self) -> Floats:
        return as_floats(self.lesson.first_guess)

    def prediction(self, a: Floats) -> Floats:
        return self.x @ a

    def loss_at(self, a: Floats) -> float:
        return mean_squared_error(self.y, self.prediction(a))

    def gradient_at(self, a: Floats) -> Floats:
        """Gradient of the lesson's loss with respect to `a`: 2/n · xᵀ(x a − y)."""
        return 2 * self.x.T @ (self.prediction(a) - self.y) / len(self.y)

    def losses_at(self, positions: Floats) -> Floats:
        """The loss at each row of `positions` (one position of `a` per row)."""
        return ((positions @ self.x.T - self.y) ** 2).mean(axis=1)

    def gradients_at(self, positions: Floats) -> Floats:
        """The gradient at each row of `positions` (one position of `a` per row)."""
        return 2 * (positions @ self.x.T - self.y) @ self.x / len(self.y)

    def step_from(self, a: Floats, lr: float | None = None) -> Floats:
        return a - (self.lr if lr is None else lr) * self.gradient_at(a)

    def descend(self, start: Floats, steps: int, lr: float | None = None) -> list[Floats]:
        """Positions of `a` after each of `steps` correct updates (with `lr`, if given)."""
        path, a = [], start
        for _ in range(steps):
            a = self.step_from(a, lr)
            path.append(a)
        return path

    @cached_property
    def least_squares(self) -> Floats:
        return np.linalg.lstsq(self.x, self.y, rcond=None)[0]

    @cached_property
    def scale(self) -> float:
        """How far apart positions of `a` are in this lesson: the fit's size, or the first
        guess's distance from it, whichever is larger (at least 1)."""
        fit = self.least_squares
        return max(1.0, float(np.abs(fit).max()), float(np.abs(self.first_guess - fit).max()))

    @cached_property
    def tolerance(self) -> float:
        """How close to the least-squares fit training must end: all but `CONVERGENCE_SHARE`
        of the first guess's distance from it."""
        return CONVERGENCE_SHARE * float(np.abs(self.first_guess - self.least_squares).max())

    def same_position(self, a: Floats, b: Floats) -> bool:
        """Whether two positions of `a` agree as closely as float32 arithmetic allows."""
        return a.shape == b.shape and bool(self.same_positions(a[None], b[None])[0])

    def same_positions(self, a: Floats, b: Floats) -> Flags:
        """Row by row, `same_position` (a row with a non-finite value is nobody's match)."""
        return np.abs(a - b).max(axis=1) <= POSITION_SHARE * self.scale

    def same_steps(self, before: Floats, after: Floats, expected: Floats) -> Flags:
        """Row by row, whether the step from `before` to `after` is the one to `expected`, as
        closely as float32 rounding of `a` allows, however short the step: near the fit the
        lesson's steps are shorter than `same_positions` can tell apart, and a call that stops
        or doubles its step there is a wrong call all the same. Never looser than
        `same_positions`."""
        size = np.abs(expected - before).max(axis=1)
        magnitude = np.maximum(np.abs(before).max(axis=1), np.abs(after).max(axis=1))
        rounding = ROUNDING_SHARE * np.maximum(magnitude, self.scale)
        allowed = np.minimum(STEP_SHARE * size + rounding, POSITION_SHARE * self.scale)
        return np.abs(after - expected).max(axis=1) <= allowed

    def distance_to_fit(self, a: Floats) -> float:
        return float(np.abs(a - self.least_squares).max())

    def steps_to(self, start: Floats, after: Floats, most: int) -> int | None:
        """How many correct steps (1 to `most`) lead from `start` to `after`, if any do."""
        for steps, position in enumerate(self.descend(start, most), start=1):
            if self.same_position(position, after):
                return steps
        return None

    def given(self, values: Floats) -> list[float]:
        """Values as the notebook holds them (its dtype), as a list to send."""
        return values.astype(self.dtype).tolist()

    @property
    def y_given(self) -> list[float]:
        return self.given(self.y)

    def prediction_given(self, a: tuple[float, ...] | None = None) -> list[float]:
        """`x @ a` as the student's notebook computes it, in its dtype (the first guess by
        default)."""
        x = np.array(self.lesson.x, dtype=self.dtype)
        guess = self.lesson.first_guess if a is None else a
        return (x @ np.array(guess, dtype=self.dtype)).tolist()

    @cached_property
    def training_path(self) -> list[tuple[float, ...]]:
        """Where correct training puts `a` before each of its calls, as the notebook holds it:
        the positions at which training asks the loss."""
        path = [self.first_guess, *self.descend(self.first_guess, self.epochs - 1)]
        return [tuple(self.given(position)) for position in path]

    @cached_property
    def training_positions(self) -> Floats:
        """`training_path` as one float64 tensor, a row per call."""
        return np.array(self.training_path, dtype=np.float64)

    @cached_property
    def training_losses(self) -> Floats:
        """The loss at each position of `training_path`, a one-value row per call."""
        return self.losses_at(self.training_positions)[:, None]

    @cached_property
    def training_gradients(self) -> Floats:
        """The gradient at each position of `training_path`, a row per call."""
        return self.gradients_at(self.training_positions)


_references: dict[str, Reference] = {}


def reference_for(lesson: Lesson) -> Reference:
    """The reference of a lesson, made once per lesson in this process."""
    if lesson.hash not in _references:
        _references[lesson.hash] = Reference(lesson)
    return _references[lesson.hash]
