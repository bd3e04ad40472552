"""What an nbgrader grade cell calls: the hidden checks against the notebook's own functions.

The cell's last expression is the points earned, which nbgrader reads as partial credit. The
graded cell is where the notebook stands, so the checks ask their questions right there, with
hidden inputs drawn afresh, on the lesson read from the course's release (found above the
folder nbgrader runs the kernel in). Student prints and warnings are kept out of the cell's
stderr, which nbgrader would otherwise count as a failure.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.exercise import TRAINING_CELL, release_above
from autograder.inside.observations import Answer, Question
from autograder.inside.replay import TrainingReplay
from autograder.inside.reporter import LessonData, Reporter
from autograder.intake.notebook import load_release
from autograder.judge.fault import GraderFault
from autograder.judge.lesson_reading import read_lesson_unconfined
from autograder.judge.reference import reference_for
from autograder.judge.results import as_table, total
from autograder.judge.runner import run_checks
from autograder.judge.seeds import new_seed
from autograder.lesson import Lesson


class NamespaceSession:
    """The running kernel's globals as a session: already at the graded cell."""

    state = 0
    training = None

    def __init__(
        self, namespace: MutableMapping[str, Any], lesson: Lesson, training: TrainingReplay
    ) -> None:
        data = LessonData.from_json(lesson.for_student())
        self.student = Reporter(namespace, data, training)

    def reach(self, category: str) -> None:
        """The kernel has already run every cell above the graded cell."""

    def ask(self, questions: list[Question]) -> list[Answer]:
        return [self.student.answer(question) for question in questions]


class NotebookNamespace:
    """The running notebook's globals as a subject for the checks."""

    id = "notebook"

    def __init__(
        self, namespace: MutableMapping[str, Any], lesson: Lesson, training: TrainingReplay
    ) -> None:
        self.namespace = namespace
        self.lesson = lesson
        self.training = training
        self.seed = new_seed()

    @contextmanager
    def open(self) -> Iterator[NamespaceSession]:
        yield NamespaceSession(self.namespace, self.lesson, self.training)


def score(category: str, namespace: MutableMapping[str, Any]) -> float:
    """Run one category's checks, print the results, and return the points earned."""
    release = release_above(Path.cwd())
    lesson = read_lesson_unconfined(release)
    training = load_release(release).cell(TRAINING_CELL)
    if training is None:
        raise GraderFault(f"{release} has no training cell")
    replay = TrainingReplay(training.source, training.label)
    subject = NotebookNamespace(namespace, lesson, replay)
    report = run_checks([subject], reference_for(lesson), [category])["notebook"]
    print(as_table(report.results))
    return total(report.results)[0]
