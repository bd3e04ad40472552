"""Scores into nbgrader's own gradebook, so `nbgrader export` and the formgrader show them.

Each category's points go to the grade cell named `<category>_checks` in the notebook
`gradient_descent`, the same cells nbgrader's own autograde fills, marked as needing no manual
grading unless a grader already scored them by hand (so the formgrader lists the submission
as graded, not waiting for review). A student the grader failed on (`grader_error`) gets no
points and every cell marked as needing manual grading, so the formgrader lists them for
review instead of showing a zero they did not earn. Each student is nbgrader's own: the name
of their folder in `submitted/` (`ids.course_folder`); one whose folder name is not text
(bytes that are not UTF-8) cannot be kept in nbgrader's database, and is named instead.
Writes go through nbgrader's `Gradebook` API, never straight into its database. nbgrader is
imported only when a course is graded: importing it takes seconds, which a plain folder of
notebooks should not pay.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import warnings
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.exercise import ASSIGNMENT, graded_cell
from autograder.intake.ids import course_folder
from autograder.intake.notebook import load_release
from autograder.intake.times import naive_utc
from autograder.judge.record import Record, Status
from autograder.judge.status import points_by_category
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.usage import UsageError

if TYPE_CHECKING:
    from nbgrader.api import Grade, Gradebook, SubmittedAssignment

    _Submitted = tuple[SubmittedAssignment, dict[str, Grade]]  # a submission, its grades by cell

_ONE_PASS_FROM = 50  # students whose rows are read in one pass rather than one by one


def check_course(course_root: Path, stamp: GradebookStamp, release: Path) -> None:
    """Fail before grading when the course's gradebook does not know the assignment and the
    graded cells of `release` that the kit writes to (as it did when the kit last wrote it,
    if nothing has written it since). The questions are read-only queries of nbgrader's
    tables, answered as `Gradebook.find_assignment` and `find_grade_cell` answer them, rather
    than through nbgrader's API: importing that takes a second and 80 MB that a run would
    hold while its workers grade."""
    database = course_root / "gradebook.db"
    if not database.is_file():
        raise UsageError(
            f"{database} does not exist: run `nbgrader generate_assignment "
            f"{ASSIGNMENT}` in {course_root} first"
        )
    if stamp.untouched():
        return
    if not knows_assignment(database):
        raise UsageError(
            f"the gradebook in {course_root} has no assignment {ASSIGNMENT}: "
            f"run `nbgrader generate_assignment {ASSIGNMENT}` first"
        )
    missing = graded_cells_missing(database, load_release(release).categories)
    if missing:
        raise UsageError(
            f"the gradebook in {course_root} has the assignment {ASSIGNMENT} but not its "
            f"graded cells {', '.join(missing)}: run `nbgrader generate_assignment "
            f"{ASSIGNMENT} --force` first"
        )


def knows_assignment(database: Path) -> bool:
    """Whether nbgrader's gradebook `database` holds the assignment; `UsageError` if it is
    not a gradebook that can be read."""
    found = _read(database, "SELECT 1 FROM assignment WHERE name = ?", (ASSIGNMENT,))
    return bool(found)


def graded_cells_missing(database: Path, categories: Sequence[str]) -> list[str]:
    """The graded cells of `categories` (where the kit writes their scores) that the
    gradebook's notebook of the assignment does not hold, in order. A category the release
    has no graded cell for is the lesson's refusal to make, not the gradebook's."""
    held = _read(
        database,
        "SELECT base_cell.name FROM base_cell"
        " JOIN notebook ON base_cell.notebook_id = notebook.id"
        " JOIN assignment ON notebook.assignment_id = assignment.id"
        " WHERE assignment.name = ? AND notebook.name = ? AND base_cell.type = 'GradeCell'",
        (ASSIGNMENT, ASSIGNMENT),
    )
    names = {row[0] for row in held}
    return [graded_cell(category) for category in categories if graded_cell(category) not in names]


def _read(database: Path, query: str, parameters: tuple[str, ...]) -> list[tuple[Any, ...]]:
    """The rows of a read-only `query`; `UsageError` if `database` is not a gradebook that
    can be read. It is opened read-only, but for a write that a killed process left half
    done (a hot journal): only a writable connection may roll that back, as nbgrader's own
    would on opening, and until it is rolled back nothing can be read."""
    try:
        return _rows(database, "ro", query, parameters)
    except sqlite3.Error as error:
        if error.sqlite_errorname != "SQLITE_READONLY_ROLLBACK":
            raise _unreadable(database, error) from None
    try:
        return _rows(database, "rw", query, parameters)
    except sqlite3.Error as error:
        raise _unreadable(database, error) from None


def _rows(
    database: Path, mode: str, query: str, parameters: tuple[str, ...]
) -> list[tuple[Any, ...]]:
    address = f"{database.resolve().as_uri()}?mode={mode}"
    with closing(sqlite3.connect(address, uri=True, timeout=30)) as connection:
        return connection.execute(query, parameters).fetchall()


def _unreadable(database: Path, error: sqlite3.Error) -> UsageError:
    return UsageError(f"{database} is not an nbgrader gradebook that can be read: {error}")


def nbgrader_student(student: str) -> str | None:
    """The student id nbgrader keeps for a kit id, or None when nbgrader cannot keep one."""
    folder = course_folder(student)
    try:
        folder.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return folder


def record_scores(
    course_root: Path, records: Iterable[Record], stamp: GradebookStamp
) -> list[Record]:
    """Write every record's per-category points, and when the student submitted (so that
    nbgrader's late penalties apply); returns the records nbgrader cannot keep. When `stamp`
    says the gradebook is as the kit left it, only the students whose rows differ from what
    it noted are written, and nothing is opened when none do."""
    records = list(records)
    rows = {record.student: _row_digest(record) for record in records}
    changed = stamp.changed(rows)
    if changed != set():
        to_write = [record for record in records if changed is None or record.student in changed]
        with open_gradebook(course_root) as gradebook:
            record_scores_in(gradebook, to_write)
        stamp.note(rows)
    return [record for record in records if nbgrader_student(record.student) is None]


def _row_digest(record: Record) -> str:
    """A digest of everything `record_scores_in` writes for `record`."""
    row = [record.student, str(naive_utc(record.submitted_at)), _auto_scores(record)]
    return hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:32]


def open_gradebook(course_root: Path) -> Gradebook:
    """The course's gradebook, through nbgrader's API (close it when done)."""
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course_root / 'gradebook.db'}")


def record_scores_in(gradebook: Gradebook, records: Iterable[Record]) -> list[Record]:
    """`record_scores` in an open gradebook, committed once; what is read (a grader's manual
    score) is read afresh, as every commit expires what the session held. A student whose
    row the gradebook already holds is left alone, so a run costs what changed."""
    from sqlalchemy.exc import SAWarning

    refused, kept = [], []
    for record in records:
        student = nbgrader_student(record.student)
        if student is None:
            refused.append(record)
        else:
            kept.append((student, record))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own ORM chatter
        held = _rows_held(gradebook, [student for student, _ in kept])
        for student, record in kept:
            row = held.get(student)
            if not _holds(row, record):
                _write_row(gradebook, student, record, row.found if row else None)
        gradebook.db.commit()
    return refused


def _write_row(
    gradebook: Gradebook, student: str, record: Record, found: _Submitted | None
) -> None:
    """Write one student's submission time and each grade cell's automatic score, on the
    objects nbgrader's API made (`found` already, or looked up here): a first submission is
    made by `update_or_create_submission`, with every grade cell."""
    found = found or _submission_of(gradebook, student)
    if found is None:
        gradebook.update_or_create_student(student)
        gradebook.update_or_create_submission(ASSIGNMENT, student)
        found = _submission_of(gradebook, student)
    if found is None:
        raise RuntimeError(f"nbgrader made no submission of {ASSIGNMENT} for {student!r}")
    submission, grades = found
    moment = naive_utc(record.submitted_at)
    if moment is not None:
        submission.timestamp = moment
    for cell, auto in _auto_scores(record).items():
        grade = grades.get(cell) or gradebook.find_grade(cell, ASSIGNMENT, ASSIGNMENT, student)
        grade.auto_score = auto
        grade.needs_manual_grade = _needs_manual_grade(auto, grade.manual_score)


@dataclass(frozen=True)
class _HeldRow:
    """What the gradebook holds of one student's submission: when, and each grade cell's
    (automatic score, manual score, needs manual grading); with nbgrader's objects for them
    when they were looked up one student at a time."""

    timestamp: datetime | None
    cells: dict[str, tuple[float | None, float | None, bool]]
    found: _Submitted | None = None


def _rows_held(gradebook: Gradebook, students: list[str]) -> dict[str, _HeldRow]:
    """What the gradebook holds now for each of `students` who submitted: for a few, by
    each one's own indexed lookups (what one submission costs does not grow with the class);
    for many, in one pass over the assignment's grades."""
    if len(students) < _ONE_PASS_FROM:
        held = {}
        for student in students:
            if (found := _submission_of(gradebook, student)) is not None:
                submission, grades = found
                cells = {
                    cell: (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
                    for cell, grade in grades.items()
                }
                held[student] = _HeldRow(submission.timestamp, cells, found)
        return held
    return _rows_held_in_one_pass(gradebook, set(students))


def _rows_held_in_one_pass(gradebook: Gradebook, students: set[str]) -> dict[str, _HeldRow]:
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Grade,
        Notebook,
        SubmittedAssignment,
        SubmittedNotebook,
    )

    found = (
        gradebook.db.query(
            SubmittedAssignment.student_id,
            SubmittedAssignment.timestamp,
            BaseCell.name,
            Grade.auto_score,
            Grade.manual_score,
            Grade.needs_manual_grade,
        )
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(SubmittedNotebook, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .join(Grade, Grade.notebook_id == SubmittedNotebook.id)
        .join(BaseCell, Grade.cell_id == BaseCell.id)
        .filter(Assignment.name == ASSIGNMENT, Notebook.name == ASSIGNMENT)
    )
    held: dict[str, _HeldRow] = {}
    for student, timestamp, cell, auto, manual, needs in found:
        if student in students:
            row = held.setdefault(student, _HeldRow(timestamp, {}))
            row.cells[cell] = (auto, manual, needs)
    return held


def _submission_of(gradebook: Gradebook, student: str) -> _Submitted | None:
    """The student's submission of the assignment and its grades by cell name, each found
    through one of the unique indexes nbgrader's tables have (a query joining them all
    scans every grade: tens of milliseconds at 10,000 students); None if they have none."""
    from nbgrader.api import Assignment, BaseCell, Grade, Notebook, SubmittedNotebook
    from nbgrader.api import SubmittedAssignment as Submitted

    submission = (
        gradebook.db.query(Submitted)
        .join(Assignment, Submitted.assignment_id == Assignment.id)
        .filter(Assignment.name == ASSIGNMENT, Submitted.student_id == student)
        .one_or_none()
    )
    if submission is None:
        return None
    notebook = (
        gradebook.db.query(SubmittedNotebook)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .filter(
            Notebook.name == ASSIGNMENT,
            Notebook.assignment_id == submission.assignment_id,
            SubmittedNotebook.assignment_id == submission.id,
        )
        .one_or_none()
    )
    if notebook is None:
        return submission, {}
    grades = (
        gradebook.db.query(BaseCell.name, Grade)
        .join(Grade, Grade.cell_id == BaseCell.id)
        .filter(BaseCell.notebook_id == notebook.notebook_id, Grade.notebook_id == notebook.id)
    )
    return submission, dict(grades.all())


def _holds(held: _HeldRow | None, record: Record) -> bool:
    """Whether the gradebook already holds what `record_scores_in` would write for `record`."""
    if held is None:
        return False
    moment = naive_utc(record.submitted_at)
    if moment is not None and held.timestamp != moment:
        return False
    for cell, auto in _auto_scores(record).items():
        if cell not in held.cells:
            return False
        held_auto, manual, needs = held.cells[cell]
        if held_auto != auto or needs != _needs_manual_grade(auto, manual):
            return False
    return True


def _auto_scores(record: Record) -> dict[str, float | None]:
    """Each grade cell's automatic score for `record`; none when the grader failed on it."""
    failed = record.status == Status.GRADER_ERROR
    earned = points_by_category(record.checks)
    return {
        graded_cell(category): None if failed else points for category, points in earned.items()
    }


def _needs_manual_grade(auto: float | None, manual: float | None) -> bool:
    """As nbgrader's own autograde: a cell with a grader's earlier manual score needs review,
    and so does every cell of a student the grader failed on (no automatic score)."""
    return auto is None or manual is not None


def due_date_in(gradebook: Gradebook) -> datetime | None:
    """The assignment's due date, naive in UTC as nbgrader keeps it; None when it has none.
    Each call reads it afresh: the formgrader may set it at any time."""
    from nbgrader.api import MissingEntry

    try:
        return gradebook.find_assignment(ASSIGNMENT).duedate
    except MissingEntry:
        return None
    finally:  # a read left open would hold SQLite's lock against the formgrader's writes
        gradebook.db.commit()
