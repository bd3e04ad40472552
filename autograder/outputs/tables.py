"""The batch's files for other tools: results.json (fixed shape) and grades.csv."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from autograder.exercise import ASSIGNMENT
from autograder.judge.record import Record, Status
from autograder.text import csv_text

CHECK_FIELDS = ("id", "category", "points", "max_points", "passed", "message")


def result_row(record: Record) -> dict[str, Any]:
    """A record trimmed to exactly the documented shape of one results.json entry."""
    return {
        "student": record.student,
        "status": str(record.status),
        "score": record.score,
        "max_score": record.max_score,
        "message": record.message,
        "submitted_at": record.submitted_at,
        "late": record.late,
        "checks": [
            {name: getattr(check, name) for name in CHECK_FIELDS} for check in record.checks
        ],
    }


def results_json(records: Iterable[Record], max_score: float) -> str:
    """The document, one submission per line: readable, and each line written by json's C
    encoder (an indented document is written in pure Python: seconds for a large class)."""
    head = json.dumps({"assignment": ASSIGNMENT, "max_score": max_score})
    rows = [json.dumps(result_row(record)) for record in records]
    listed = "[\n  " + ",\n  ".join(rows) + "\n]" if rows else "[]"
    return f'{head[:-1]}, "submissions": {listed}}}\n'


def grades_csv(records: Iterable[Record], check_ids: list[str]) -> str:
    """One row per student: status, total, then the points of every check."""
    rows = []
    for record in records:
        points = {check.id: check.points for check in record.checks}
        row = [record.student, str(record.status), record.score, record.max_score]
        rows.append(row + [points.get(check_id, 0.0) for check_id in check_ids])
    return csv_text(["student", "status", "score", "max_score", *check_ids], rows)


def lms_score(record: Record) -> float | None:
    """The score an LMS should get for a record: None when the grader failed on it, so the
    student's grade is left alone rather than set to a zero they did not earn."""
    return None if record.status == Status.GRADER_ERROR else record.score
