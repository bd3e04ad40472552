"""The student's answers a record keeps, picked out by the question the judge asked.

Only answers about the lesson's public data and the student's own trajectory are picked out;
answers to questions on hidden inputs are left behind, so nothing built from them reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..lesson import EPOCHS, FIRST_GUESS
from ..observations import LossRun, MalformedObservation, UpdateRun
from ..record import Record
from ..reference import Lesson
from ..student import first_calls

UpdateKey = tuple[tuple[float, ...], int]


@dataclass(frozen=True)
class Observed:
    lesson_loss: LossRun | None  # the loss of the first guess on the lesson data
    first_step: UpdateRun | None  # one call from the first guess
    two_calls: UpdateRun | None  # two calls from the first guess
    fresh_second_step: UpdateRun | None  # one call from where the first of the two calls ended
    trajectory: UpdateRun | None  # the lesson's training run: EPOCHS calls from the first guess


def _key(start: Any, calls: Any) -> UpdateKey:
    return tuple(float(v) for v in start), int(calls)


def _is_lesson_loss(question: list[Any], lesson: Lesson) -> bool:
    return (
        list(question[1]) == lesson.y32.tolist()
        and list(question[2]) == lesson.guess_prediction32()
    )


def observed(record: Record, lesson: Lesson) -> Observed:
    """Rebuild the answers a record holds; malformed ones are skipped, not trusted."""
    lesson_loss = None
    updates: dict[UpdateKey, UpdateRun] = {}
    for item in record.observations:
        try:
            question = list(item["question"])
            if question[0] == "loss" and _is_lesson_loss(question, lesson):
                lesson_loss = LossRun.from_json(item["answer"])
            elif question[0] == "updates":
                updates[_key(question[1], question[2])] = UpdateRun.from_json(item["answer"])
        except (MalformedObservation, KeyError, IndexError, TypeError, ValueError):
            continue
    trajectory = updates.get(_key(FIRST_GUESS, EPOCHS))
    two_calls = first_calls(trajectory, 2) if trajectory else None
    midway = two_calls.after_each_call[0].values if two_calls and two_calls.completed else None
    return Observed(
        lesson_loss=lesson_loss,
        first_step=first_calls(trajectory, 1) if trajectory else None,
        two_calls=two_calls,
        fresh_second_step=updates.get(_key(midway, 1)) if midway else None,
        trajectory=trajectory,
    )
