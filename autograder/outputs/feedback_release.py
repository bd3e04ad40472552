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

import json
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from autograder.atomic import (
    input_version,
    output_version,
    passed_over,
    read_note,
    write_atomically,
)
from autograder.exercise import ASSIGNMENT
from autograder.intake.course_tree import SECRET, TIMESTAMP
from autograder.intake.handed_in import read_small
from autograder.intake.ids import course_folder
from autograder.intake.times import nbgrader_time
from autograder.judge.record import Record


def _folder(course_root: Path, step: str, student: str) -> Path:
    return course_root.joinpath(step, course_folder(student), ASSIGNMENT)


def submitted_secret(course_root: Path, student: str) -> Path:
    """The secret nbgrader's `submit` kept with a student's submission, by which their
    `fetch_feedback` finds their page."""
    return _folder(course_root, "submitted", student) / SECRET


def released_files(course_root: Path, student: str) -> tuple[Path, Path]:
    """The secret and the time of submission written beside a student's page."""
    feedback = _folder(course_root, "feedback", student)
    return feedback / SECRET, feedback / TIMESTAMP


def write_release_files(
    course_root: Path,
    records: Iterable[Record],
    note: Path | None = None,
    record_file: Callable[[str], Path] | None = None,
    settled: frozenset[str] = frozenset(),
) -> list[Record]:
    """Write each record's timestamp and secret beside its page; returns the records whose
    submissions had no secret of their own. Given a `note` and where each record is kept
    (`record_file`), the versions of the files each student's were made from, and of the
    files written, are noted there: while none changed, they are not read or written again.
    The files of `settled` students are known unchanged since they were noted, so not even
    their versions are taken."""
    noted = read_note(note, _shaped) if note is not None else {}
    without_secret = []
    for record in records:
        entry = noted.get(record.student)
        if not passed_over(record.student, settled, noted):
            released = released_files(course_root, record.student)
            submitted = submitted_secret(course_root, record.student)
            sources = _sources(record_file, record.student, submitted)
            written = [output_version(path) for path in released]
            if sources is None or entry is None or entry[:2] != [sources, written]:
                own = _write(record, released, submitted)
                written = [output_version(path) for path in released]
                entry = [sources, written, own]
                if sources is not None:
                    noted[record.student] = entry
        if not entry[2]:
            without_secret.append(record)
    if note is not None:
        write_atomically(note, json.dumps(noted), durable=False)
    return without_secret


def _write(record: Record, released: tuple[Path, Path], submitted: Path) -> bool:
    """Write one record's secret and timestamp; whether its submission had its own secret."""
    secret_file, timestamp_file = released
    secret = read_small(submitted)
    own = bool(secret)  # none, or empty: nbgrader refuses an empty secret
    if not secret:
        secret = read_small(secret_file) or secrets.token_hex(64).encode()
    write_atomically(secret_file, secret, durable=False)
    write_atomically(timestamp_file, nbgrader_time(record.submitted_at), durable=False)
    return own


def _sources(
    record_file: Callable[[str], Path] | None, student: str, submitted: Path
) -> list[Any] | None:
    """The versions of the files a student's secret and timestamp come from (their record
    and submitted secret); None when unknown or still settling (`atomic.input_version`)."""
    if record_file is None:
        return None
    versions = [output_version(record_file(student)), input_version(submitted)]
    return None if None in versions else versions


def _shaped(entry: list[Any]) -> bool:
    """[the sources' versions, the written files' versions, whether it had its own secret]"""
    return len(entry) == 3 and isinstance(entry[2], bool)
