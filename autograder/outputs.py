"""The batch's files for other tools: results.json (fixed shape) and grades.csv."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .lesson import ASSIGNMENT

RESULT_FIELDS = ("student", "status", "score", "max_score", "message", "checks")
CHECK_FIELDS = ("id", "category", "points", "max_points", "passed", "message")


def write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    with os.fdopen(handle, "w", newline="") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def result_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record trimmed to exactly the documented shape of one results.json entry."""
    row = {field: record[field] for field in RESULT_FIELDS}
    row["checks"] = [{field: check[field] for field in CHECK_FIELDS} for check in record["checks"]]
    return row


def results_json(records: Iterable[dict[str, Any]], max_score: float) -> str:
    return json.dumps(
        {
            "assignment": ASSIGNMENT,
            "max_score": max_score,
            "submissions": [result_row(record) for record in records],
        },
        indent=1,
    )


def grades_csv(records: Iterable[dict[str, Any]], check_ids: list[str]) -> str:
    """One row per student: status, total, then the points of every check."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["student", "status", "score", "max_score", *check_ids])
    for record in records:
        points = {check["id"]: check["points"] for check in record["checks"]}
        writer.writerow(
            [record["student"], record["status"], record["score"], record["max_score"]]
            + [points.get(check_id, 0.0) for check_id in check_ids]
        )
    return stream.getvalue()
