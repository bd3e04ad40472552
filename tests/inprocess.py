"""Answers run the way the sandbox runs them, but inside the test process (fast, no isolation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch

from autograder.batch import observations_of
from autograder.child import lesson_namespace, run_cells
from autograder.runner import SubjectReport, max_score, run_checks
from autograder.student import InProcessStudent, Student
from autograder.verdicts import classify, record
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


def records_for(answers: list[Answer]) -> list[dict[str, Any]]:
    """Records shaped like the batch grader's, observations included."""
    records = []
    for report in reports_for(answers).values():
        status, message = classify(report.results, report.unavailable, False, 10.0)
        records.append(
            record(
                report.subject.id,
                status,
                max_score(),
                message,
                report.results,
                notes=[],
                output="",
                observations=observations_of(report),
            )
        )
    return records
