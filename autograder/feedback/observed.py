"""The student's answers a record keeps, picked out by the question the judge asked.

Only answers about the lesson's public data and the student's own runs from the lesson's first
guess (of the lesson the record was graded against) are picked out; answers to questions on
hidden inputs are left behind, so nothing built from them reaches a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.inside.observations import (
    TRAINING,
    LossQuestion,
    LossRun,
    MalformedObservation,
    UpdateQuestion,
    UpdateRun,
    question_from_json,
)
from autograder.judge.record import Record
from autograder.judge.reference import Reference


@dataclass(frozen=True)
class Observed:
    lesson_loss: LossRun | None  # the loss of the first guess on the lesson data
    trajectory: UpdateRun | None  # training's calls from the first guess, with a correct loss
    training: UpdateRun | None  # the notebook's training cell, with the student's own loss


def page_questions(reference: Reference) -> tuple[LossQuestion, UpdateQuestion]:
    """The judge's questions whose answers a page shows: the loss of the first guess on the
    lesson data, and training's calls from the first guess."""
    return (
        LossQuestion(tuple(reference.y_given), tuple(reference.prediction_given())),
        UpdateQuestion(reference.lesson.first_guess, reference.epochs),
    )


def observed(record: Record, reference: Reference) -> Observed:
    """Rebuild the answers a record holds; malformed ones are skipped, not trusted."""
    lesson_loss = trajectory = training = None
    lesson_question, training_question = page_questions(reference)
    for item in record.observations:
        try:
            answer: Any = item["answer"]
            if item["question"] == TRAINING:
                training = UpdateRun.from_json(answer)
                continue
            question = question_from_json(item["question"])
            if question == lesson_question:
                lesson_loss = LossRun.from_json(answer)
            elif question == training_question:
                trajectory = UpdateRun.from_json(answer)
        except (MalformedObservation, KeyError, TypeError, ValueError):
            continue
    return Observed(lesson_loss=lesson_loss, trajectory=trajectory, training=training)
