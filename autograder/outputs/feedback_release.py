"""What `nbgrader release_feedback` reads beside each page in `feedback/<student>/<assignment>/`.

nbgrader 0.9 releases every `*.html` there, and for each it opens `timestamp.txt` and
`submission_secret.txt` in the same folder (an error for the whole class if either is
missing); the released file is named by a hash of the secret and the notebook's name, which a
student's `nbgrader fetch_feedback` computes from the secret their own `submit` kept. So each
student's folder gets the secret of their submission, copied from `submitted/`, and the time
they submitted, as nbgrader writes it. A submission put into `submitted/` by hand has no
secret: its folder gets a fresh one (kept across runs), so that the rest of the class is still
released; no student can fetch that page, and the run names such students.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.exercise import ASSIGNMENT
from autograder.intake.course_tree import SECRET, TIMESTAMP
from autograder.intake.handed_in import read_small
from autograder.intake.ids import course_folder
from autograder.intake.times import nbgrader_time
from autograder.judge.record import Record


def _folder(course_root: Path, step: str, student: str) -> Path:
    return course_root / step / course_folder(student) / ASSIGNMENT


def write_release_files(course_root: Path, records: Iterable[Record]) -> list[Record]:
    """Write each record's timestamp and secret beside its page; returns the records whose
    submissions had no secret of their own."""
    without_secret = []
    for record in records:
        feedback = _folder(course_root, "feedback", record.student)
        secret = read_small(_folder(course_root, "submitted", record.student) / SECRET)
        if not secret:  # none, or empty: nbgrader refuses an empty secret
            without_secret.append(record)
            secret = read_small(feedback / SECRET) or secrets.token_hex(64).encode()
        write_atomically(feedback / SECRET, secret, durable=False)
        write_atomically(feedback / TIMESTAMP, nbgrader_time(record.submitted_at), durable=False)
    return without_secret
