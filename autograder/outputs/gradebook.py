"""Scores into nbgrader's own gradebook, so `nbgrader export` and the formgrader show them.

Each category's points go to the grade cell named `<category>_checks` in the notebook
`gradient_descent`, the same cells nbgrader's own autograde fills, marked as needing no manual
grading unless a grader already scored them by hand (so the formgrader lists the submission
as graded, not waiting for review). Writes go through nbgrader's
`Gradebook` API, never straight into its database. nbgrader is imported only when a course is
graded: importing it takes seconds, which a plain folder of notebooks should not pay.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from autograder.exercise import ASSIGNMENT, graded_cell
from autograder.intake.submissions import UsageError
from autograder.judge.record import Record
from autograder.judge.status import points_by_category


def check_course(course_root: Path) -> None:
    """Fail before grading when the course's gradebook does not know the assignment."""
    from nbgrader.api import Gradebook, MissingEntry

    database = course_root / "gradebook.db"
    if not database.is_file():
        raise UsageError(
            f"{database} does not exist: run `nbgrader generate_assignment "
            f"{ASSIGNMENT}` in {course_root} first"
        )
    with Gradebook(f"sqlite:///{database}") as gradebook:
        try:
            gradebook.find_assignment(ASSIGNMENT)
        except MissingEntry:
            raise UsageError(
                f"the gradebook in {course_root} has no assignment {ASSIGNMENT}: "
                f"run `nbgrader generate_assignment {ASSIGNMENT}` first"
            ) from None


def record_scores(course_root: Path, records: Iterable[Record]) -> int:
    """Write every record's per-category points, and when the student submitted (so that
    nbgrader's late penalties apply); returns how many students were written."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    written = 0
    with (
        warnings.catch_warnings(),
        Gradebook(f"sqlite:///{course_root / 'gradebook.db'}") as gradebook,
    ):
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own ORM chatter
        for record in records:
            gradebook.update_or_create_student(record.student)
            submitted = {"timestamp": _utc(record.submitted_at)} if record.submitted_at else {}
            gradebook.update_or_create_submission(ASSIGNMENT, record.student, **submitted)
            for category, earned in points_by_category(record.checks).items():
                grade = gradebook.find_grade(
                    graded_cell(category), ASSIGNMENT, ASSIGNMENT, record.student
                )
                grade.auto_score = earned
                # as nbgrader's own autograde: only a grader's earlier manual score needs review
                grade.needs_manual_grade = grade.manual_score is not None
            written += 1
        gradebook.db.commit()
    return written


def _utc(moment: str) -> datetime:
    """nbgrader keeps times as naive UTC."""
    return datetime.fromisoformat(moment).astimezone(UTC).replace(tzinfo=None)
