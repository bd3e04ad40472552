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

from autograder.exercise import release_above
from autograder.inside.observations import Answer, Question
from autograder.inside.reporter import LessonData, Reporter
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

    def __init__(self, namespace: MutableMapping[str, Any], lesson: Lesson) -> None:
        self.student = Reporter(namespace, LessonData.from_json(lesson.for_student()))

    def reach(self, category: str) -> None:
        """The kernel has already run every cell above the graded cell."""

    def ask(self, questions: list[Question]) -> list[Answer]:
        return [self.student.answer(question) for question in questions]


class NotebookNamespace:
    """The running notebook's globals as a subject for the checks."""

    id = "notebook"

    def __init__(self, namespace: MutableMapping[str, Any], lesson: Lesson) -> None:
        self.namespace = namespace
        self.lesson = lesson
        self.seed = new_seed()

    @contextmanager
    def open(self) -> Iterator[NamespaceSession]:
        yield NamespaceSession(self.namespace, self.lesson)


def score(category: str, namespace: MutableMapping[str, Any]) -> float:
    """Run one category's checks, print the results, and return the points earned."""
    lesson = read_lesson_unconfined(release_above(Path.cwd()))
    subject = NotebookNamespace(namespace, lesson)
    report = run_checks([subject], reference_for(lesson), [category])["notebook"]
    print(as_table(report.results))
    return total(report.results)[0]
