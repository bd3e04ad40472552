"""Where each student's page goes, with a file name that is safe whatever the student id is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.ids import file_name
from autograder.judge.record import Record
from autograder.lesson import Lesson


def feedback_path(student: str, out_dir: Path, course_root: Path | None) -> Path:
    """nbgrader's feedback folder in a course, else one flat folder of pages."""
    if course_root is not None:
        return course_root / "feedback" / file_name(student) / ASSIGNMENT / "feedback.html"
    return out_dir / "feedback" / f"{file_name(student)}.html"


@dataclass(frozen=True)
class FeedbackPlace:
    """Where a class's feedback pages go. It travels to the judge workers, which write each
    page as soon as its record is made; the drawing code loads there, on the first page."""

    out_dir: Path
    course_root: Path | None

    def write(self, record: Record, lesson: Lesson) -> Path:
        from autograder.feedback.pages import write_page

        return write_page(record, lesson, self.out_dir, self.course_root)
