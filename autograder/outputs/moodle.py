"""Moodle's grading worksheet, from the records: grades and feedback comments to upload.

The id in a Moodle assignment download (`<Full Name>_<participant id>_assignsubmission_file_`)
is the assignment's participant id, not a Moodle user id, so the gradebook's user-id import
cannot match it. The assignment's own "Upload grading worksheet" can: it finds each row by
its `Identifier` column, `Participant <participant id>`, takes `Grade`, and skips a row whose
`Last modified (grade)` is older than a grade changed in Moodle since. Feedback comments are
HTML in Moodle, so the text is escaped and a student's message shows as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

from autograder.judge.record import Record, Status
from autograder.outputs.tables import lms_score
from autograder.text import csv_text

HEADER = (
    "Identifier",
    "Full name",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
    "Feedback comments",
)
PARTICIPANT = "Participant "  # Moodle's prefix of a participant id in `Identifier`
MAX_FEEDBACK_MESSAGE = 300


def moodle_csv(records: Iterable[Record], max_score: float, written_at: datetime) -> str:
    """One row per graded student the grader did not fail on (Moodle keeps the others' grades)."""
    rows = []
    for record in records:
        score = lms_score(record)
        if score is None:
            continue
        rows.append(
            [
                PARTICIPANT + record.student,
                record.name,
                score,
                max_score,
                written_at.isoformat(timespec="seconds"),
                html.escape(feedback_comment(record, score)),
            ]
        )
    return csv_text(HEADER, rows)


def feedback_comment(record: Record, score: float) -> str:
    """Score, then why it was not graded normally or the likely mistake, in a sentence or two."""
    text = f"Score {score:g} of {record.max_score:g}."
    if record.status != Status.GRADED:
        text += f" {record.status}: {record.message[:MAX_FEEDBACK_MESSAGE]}"
    elif record.mistakes:
        text += f" Likely mistake: {record.mistakes[0][1].title[:MAX_FEEDBACK_MESSAGE]}"
    return text
