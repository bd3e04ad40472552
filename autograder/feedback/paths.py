"""Where each student's page goes, with a file name that is safe whatever the student id is."""

from __future__ import annotations

from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.ids import file_name


def feedback_path(student: str, out_dir: Path, course_root: Path | None) -> Path:
    """nbgrader's feedback folder in a course, else one flat folder of pages."""
    if course_root is not None:
        return course_root / "feedback" / file_name(student) / ASSIGNMENT / "feedback.html"
    return out_dir / "feedback" / f"{file_name(student)}.html"
