"""Answers run the way the sandbox runs them, but inside the test process (fast, no isolation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from autograder.batch import record_of
from autograder.child import lesson_namespace, run_cells
from autograder.record import Record
from autograder.runner import SubjectReport, run_checks
from autograder.sandbox import Limits
from autograder.student import InProcessStudent, Student
from tests.answers import Answer


class AnswerInProcess:
    """A runner subject whose two answer cells run in this process."""

    def __init__(self, answer: Answer) -> None:
        self.id = answer.name
        self.answer = answer

    @contextmanager
    def open(self) -> Iterator[Student]:
        namespace = lesson_namespace()
        cells = [
            {"index": 1, "source": self.answer.loss},
            {"index": 2, "source": self.answer.update},
        ]
        errors, _ = run_cells(cells, namespace)
        assert not errors, errors
        try:
            yield InProcessStudent(namespace)
        finally:
            torch.set_default_dtype(torch.float32)


def reports_for(answers: list[Answer]) -> dict[str, SubjectReport]:
    return run_checks([AnswerInProcess(answer) for answer in answers])


def records_for(answers: list[Answer]) -> list[Record]:
    """Records as the batch grader makes them, observations included."""
    return [
        record_of(report, Limits(), notes=[], output="") for report in reports_for(answers).values()
    ]
