"""A small note per student of the submission time their record holds, so that a service
started again over a class of thousands need not read thousands of records (about 200 KB
each) before grading anything.

The record stays the truth: a note is written after its record, and trusted only to say that a
submission is already graded (a record at least as recent exists). A note that is missing,
unreadable or older than a submission sends the service to the record itself, so a service
killed between the record and its note grades nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.intake.handed_in import read_small
from autograder.intake.ids import file_name

FOLDER = "serve-graded"


class GradedNotes:
    def __init__(self, out_dir: Path) -> None:
        self.folder = out_dir / FOLDER

    def read(self, student: str) -> datetime | None:
        """The submission time noted for `student`'s record, if a note can be read."""
        data = read_small(self.folder / file_name(student))
        try:
            return datetime.fromisoformat(data.decode("ascii")) if data else None
        except (UnicodeDecodeError, ValueError):
            return None

    def write(self, student: str, moment: datetime | None) -> None:
        path = self.folder / file_name(student)
        if moment is None:
            path.unlink(missing_ok=True)
            return
        write_atomically(path, moment.isoformat(), durable=False)
