"""Where each student's page goes: nbgrader's own place in a course, else the kit's own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.ids import course_folder, file_name
from autograder.judge.record import Record
from autograder.lesson import Lesson


def feedback_path(student: str, out_dir: Path, course_root: Path | None) -> Path:
    """In a course, where `nbgrader release_feedback` looks for a page: the student's own
    folder in `feedback/`, the page named after the notebook it is about. Else one flat folder
    of pages named after the students."""
    if course_root is not None:
        folder = course_root / "feedback" / course_folder(student) / ASSIGNMENT
        return folder / f"{ASSIGNMENT}.html"
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

    def set_up(self, lesson: Lesson) -> None:
        """Draw what every page of `lesson` shares before the first page needs it: a worker
        does it while its fork server warms up."""
        from autograder.feedback.pages import plotter_for

        plotter_for(lesson)
