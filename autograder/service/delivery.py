"""Everything one graded submission changes, for that student alone: their gradebook row,
`autograded/` notebook, the files beside their page, and the page released to the exchange.

Nothing here reads or writes another student's files, so what one submission costs does not
grow with the class. The record itself is stored after all of this (by the service): a
record in the store means everything it feeds has been written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from autograder.exercise import release_notebook
from autograder.feedback.paths import feedback_path
from autograder.intake.submissions import Submission
from autograder.judge.record import Record
from autograder.lesson import Lesson
from autograder.outputs.autograded import AutogradedNotebooks
from autograder.outputs.feedback_release import write_release_files
from autograder.outputs.gradebook import due_date_in, open_gradebook, record_scores_in
from autograder.service.exchange import ExchangePlace
from autograder.service.releasing import release_page


@dataclass(frozen=True)
class Delivered:
    """What became of one record's outputs."""

    released: Path | None  # the page in the exchange; None: no secret to release it under
    in_gradebook: bool  # False when nbgrader cannot keep the student's id


class Delivery:
    """Writes one student's outputs in an nbgrader course and releases their page."""

    def __init__(self, course_root: Path, out_dir: Path, place: ExchangePlace) -> None:
        self.course_root = course_root
        self.out_dir = out_dir
        self.place = place
        self.notebooks = AutogradedNotebooks(course_root, release_notebook(course_root))
        self.gradebook = open_gradebook(course_root)  # opening it costs more than a write

    def due_date(self) -> datetime | None:
        """The assignment's due date in the gradebook now (naive, in UTC)."""
        return due_date_in(self.gradebook)

    def close(self) -> None:
        self.gradebook.close()

    def deliver(self, record: Record, submission: Submission | None, lesson: Lesson) -> Delivered:
        """Write the student's row, notebook and release files, then release their page
        (written by the judge worker; written here when the worker died before it could)."""
        refused = record_scores_in(self.gradebook, [record])
        self.notebooks.write(record, submission)
        write_release_files(self.course_root, [record])
        page = feedback_path(record.student, self.out_dir, self.course_root)
        if not page.is_file():
            from autograder.feedback.pages import write_page  # the drawing code: only here

            write_page(record, lesson, self.out_dir, self.course_root)
        return Delivered(release_page(self.place, page), not refused)
