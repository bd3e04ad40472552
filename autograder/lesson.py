"""The lesson as the instructor's notebook states it: the data, the first guess, the learning
rate and how many times training calls `update()`.

No number of the lesson lives in the kit. A `Lesson` is read from the trusted release by running
its read-only cells with correct answers in place of the student's (`judge.lesson_reading`),
once per release, and handed to whoever needs it: the judge's reference, the hidden inputs, the
student process, the feedback pages, the self-test. It is plain data (no torch), so that it can
be written beside a run's records, shipped in a Gradescope bundle or sent to a Dask worker, and
its hash says which lesson graded a record.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any

DTYPES = ("float32", "float64")
MAX_POINTS = 1000  # every point travels to each student process with its notebook
MAX_EPOCHS = 1000  # every call of update() in a training run is judged, from every start


class IllPosedLesson(Exception):
    """The instructor's notebook does not make a gradable exercise; one sentence that names
    the cell and the value."""


@dataclass(frozen=True)
class LessonCells:
    """Where in the notebook each fact comes from, as messages name cells ("cell 13")."""

    data: str  # the cell that last built x and y before training
    learning_rate: str  # the cell that last set lr before training
    training: str  # the read-only cell that calls update() once per epoch

    def to_json(self) -> dict[str, str]:
        return {"data": self.data, "learning_rate": self.learning_rate, "training": self.training}

    @classmethod
    def from_json(cls, raw: Any) -> LessonCells:
        raw = _object(raw, "the lesson's cells")
        return cls(
            data=_text(raw, "data"),
            learning_rate=_text(raw, "learning_rate"),
            training=_text(raw, "training"),
        )


@dataclass(frozen=True)
class Lesson:
    """What the notebook's training cell works with when it first calls `update()`."""

    x: tuple[tuple[float, float], ...]  # one row per point: the input value and a 1
    y: tuple[float, ...]
    first_guess: tuple[float, float]  # `a` at the training cell's first call of update()
    lr: float
    epochs: int  # how many times the training cell calls update()
    dtype: str  # of x, y and a, as the notebook builds them
    cells: LessonCells
    release_hash: str  # of the release notebook it was read from
    # Numbers, truth values and short texts the notebook sets between the loss's graded cell
    # and the training cell (a number of epochs, say): the training cell may read them when it
    # is run at the loss's graded cell to ask the loss, before the notebook has set them.
    names_for_training: tuple[tuple[str, int | float | bool | str], ...] = ()
    hash: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", _digest(self._facts()))

    @property
    def n(self) -> int:
        return len(self.y)

    def _facts(self) -> dict[str, Any]:
        return {
            "x": [list(row) for row in self.x],
            "y": list(self.y),
            "first_guess": list(self.first_guess),
            "lr": self.lr,
            "epochs": self.epochs,
            "dtype": self.dtype,
            "cells": self.cells.to_json(),
            "release_hash": self.release_hash,
            # only where there are any, so a lesson written before they were read keeps its hash
            **(
                {"names_for_training": dict(self.names_for_training)}
                if self.names_for_training
                else {}
            ),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self._facts(), "hash": self.hash}

    def describe(self) -> str:
        """One line for instructors: what the lesson is and where the training cell is."""
        guess = ", ".join(f"{value:g}" for value in self.first_guess)
        return (
            f"lesson: {self.n} points, first guess ({guess}), lr = {self.lr:g}, "
            f"{self.epochs} calls of update() ({self.cells.training})"
        )

    def for_student(self) -> dict[str, Any]:
        """What a student process is handed to answer questions: the data and learning rate
        its notebook has (all public: the notebook shows them)."""
        return {
            "x": [list(row) for row in self.x],
            "y": list(self.y),
            "lr": self.lr,
            "dtype": self.dtype,
            "names_for_training": dict(self.names_for_training),
        }

    @classmethod
    def from_json(cls, raw: Any) -> Lesson:
        """A lesson as `to_json` wrote it; `ValueError` for anything else."""
        raw = _object(raw, "a lesson")
        x = raw.get("x")
        if not isinstance(x, list) or not all(isinstance(row, list) for row in x):
            raise ValueError("the lesson's x must be a list of rows")
        lesson = cls(
            x=tuple((_number(row, 0, "x"), _number(row, 1, "x")) for row in x),
            y=tuple(_numbers(raw.get("y"), "y")),
            first_guess=tuple(_numbers(raw.get("first_guess"), "first_guess")),  # type: ignore[arg-type]
            lr=_number([raw.get("lr")], 0, "lr"),
            epochs=_whole(raw.get("epochs"), "epochs"),
            dtype=_text(raw, "dtype"),
            cells=LessonCells.from_json(raw.get("cells")),
            release_hash=_text(raw, "release_hash"),
            names_for_training=names_for_training(raw.get("names_for_training", {})),
        )
        if any(len(row) != 2 for row in x) or len(lesson.first_guess) != 2:
            raise ValueError("the lesson's x rows and first guess must hold two numbers")
        if len(lesson.x) != len(lesson.y) or lesson.dtype not in DTYPES:
            raise ValueError("the lesson's x and y must have one row per point")
        if raw.get("hash") not in (None, lesson.hash):
            raise ValueError("the lesson's hash does not match its facts")
        return lesson


MAX_NAMES_FOR_TRAINING = 32
MAX_TEXT_FOR_TRAINING = 200


def fit_for_training(name: Any, value: Any) -> bool:
    """Whether a name the notebook sets can travel with the lesson: one of the notebook's own
    (not IPython's `_`-names) holding a number, a truth value or a short text."""
    return (
        isinstance(name, str)
        and name.isidentifier()
        and not name.startswith("_")
        and type(value) in (int, float, bool, str)
        and (type(value) is not float or math.isfinite(value))
        and (type(value) is not str or len(value) <= MAX_TEXT_FOR_TRAINING)
    )


def names_for_training(raw: Any) -> tuple[tuple[str, int | float | bool | str], ...]:
    """Names and values as a lesson keeps them, sorted; `ValueError` for anything else."""
    raw = _object(raw, "the names the training cell reads")
    if len(raw) > MAX_NAMES_FOR_TRAINING or not all(
        fit_for_training(name, value) for name, value in raw.items()
    ):
        raise ValueError(
            f"the lesson's names for training must be at most {MAX_NAMES_FOR_TRAINING} of the "
            "notebook's own, each holding a number, a truth value or a short text"
        )
    return tuple(sorted(raw.items()))


def _digest(facts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError(f"{what} must be a JSON object")
    return raw


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise ValueError(f"the lesson's {key} must be text")
    return value


def _number(values: Any, index: int, what: str) -> float:
    if not isinstance(values, list) or len(values) <= index:
        raise ValueError(f"the lesson's {what} is missing a number")
    value = values[index]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"the lesson's {what} must hold finite numbers")
    return float(value)


def _numbers(values: Any, what: str) -> list[float]:
    if not isinstance(values, list):
        raise ValueError(f"the lesson's {what} must be a list of numbers")
    return [_number(values, index, what) for index in range(len(values))]


def _whole(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EPOCHS:
        raise ValueError(f"the lesson's {what} must be a whole number from 1 to {MAX_EPOCHS}")
    return value
