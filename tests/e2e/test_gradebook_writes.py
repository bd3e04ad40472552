"""Scores into a real nbgrader gradebook (made by the real `nbgrader generate_assignment`):
whatever records arrive in whatever order, with a grader scoring cells by hand in between,
the gradebook holds what each student's latest record says, as nbgrader's own autograde would
write it; and writing records it already holds writes nothing at all."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.engine import Engine

from autograder.exercise import ASSIGNMENT, CATEGORIES, graded_cell
from autograder.intake.ids import student_id
from autograder.judge.record import CheckResult, Record, Status
from autograder.outputs import gradebook as gradebook_module
from autograder.outputs.gradebook import (
    nbgrader_student,
    open_gradebook,
    record_scores,
    record_scores_in,
)
from autograder.outputs.gradebook_stamp import GradebookStamp

pytestmark = pytest.mark.slow

STUDENTS = ("ana", "bo", "Zoë N 50%")
START = datetime(2026, 12, 1, 9, 0, 0)


def a_record(student: str, failed: bool, points: list[float], minutes: int | None) -> Record:
    checks = [
        CheckResult(f"{category}.check", category, earned, 3.0, earned == 3.0, "")
        for category, earned in zip(CATEGORIES, points, strict=True)
    ]
    moment = START + timedelta(minutes=minutes) if minutes is not None else None
    return Record(
        student=student,
        status=Status.GRADER_ERROR if failed else Status.GRADED,
        max_score=12.0,
        message="the grader failed" if failed else "",
        checks=tuple(checks),
        submitted_at=moment.isoformat() + "+00:00" if moment else None,
    )


# Each example's students: some of STUDENTS and ids made from any folder name nbgrader keeps.
folder_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1
).filter(lambda name: name not in (".", ".."))
kept_ids = folder_names.map(student_id).filter(lambda student: nbgrader_student(student))
a_student = st.shared(
    st.lists(st.sampled_from(STUDENTS) | kept_ids, min_size=1, max_size=3, unique=True),
    key="students",
).flatmap(st.sampled_from)

records = st.builds(
    a_record,
    a_student,
    st.booleans(),
    st.lists(st.sampled_from([0.0, 1.5, 3.0]), min_size=4, max_size=4),
    st.one_of(st.none(), st.integers(0, 3)),
)
manual_scores = st.tuples(
    a_student,
    st.sampled_from(CATEGORIES),
    st.one_of(st.none(), st.sampled_from([0.0, 2.0])),
)


@st.composite
def steps(draw) -> list[tuple[str, object]]:
    """Writes of a few records, each often written again, and a grader's hand in between."""
    pool = draw(st.lists(records, min_size=1, max_size=3))
    write = st.tuples(st.just("write"), st.sampled_from(pool))
    return draw(
        st.lists(st.one_of(write, st.tuples(st.just("manual"), manual_scores)), max_size=10)
    )


def held(course: Path, student: str) -> tuple[datetime | None, dict[str, tuple]]:
    student = nbgrader_student(student)
    with open_gradebook(course) as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        cells = {}
        for category in CATEGORIES:
            grade = gradebook.find_grade(graded_cell(category), ASSIGNMENT, ASSIGNMENT, student)
            cells[category] = (grade.auto_score, grade.manual_score, grade.needs_manual_grade)
        return submission.timestamp, cells


def assert_holds(course: Path, record: Record, before: datetime | None) -> None:
    """The gradebook holds what nbgrader's autograde would write for `record`: its time
    (the time held `before` when it has none), and each cell's automatic score, which needs
    manual grading when the grader failed or a grader scored the cell by hand."""
    timestamp, cells = held(course, record.student)
    if record.submitted_at:
        assert timestamp == datetime.fromisoformat(record.submitted_at).replace(tzinfo=None)
    elif before is not None:
        assert timestamp == before
    failed = record.status == Status.GRADER_ERROR
    for check in record.checks:
        auto, manual, needs = cells[check.category]
        assert auto == (None if failed else check.points)
        assert needs == (failed or manual is not None)


def set_manual(course: Path, student: str, category: str, score: float | None) -> None:
    student = nbgrader_student(student)
    with open_gradebook(course) as gradebook:
        grade = gradebook.find_grade(graded_cell(category), ASSIGNMENT, ASSIGNMENT, student)
        grade.manual_score = score
        gradebook.db.commit()


def write_rows(course: Path, records: list[Record]) -> None:
    """Write `records` the way `record_scores` does once it has opened the gradebook."""
    with open_gradebook(course) as gradebook:
        record_scores_in(gradebook, records)


def writes_while(course: Path, records: list[Record]) -> list[str]:
    """The statements that change the database while `records` are recorded."""
    changing: list[str] = []

    def seen(_conn, _cursor, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            changing.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        write_rows(course, records)
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    return changing


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps(), st.sampled_from([1, 10**9]))
def test_the_gradebook_holds_each_students_latest_record_however_they_arrive(
    released_course: Path, tmp_path: Path, steps, one_pass_from: int
):
    """Whether what the gradebook holds is read student by student or in one pass."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gradebook_module, "_ONE_PASS_FROM", one_pass_from)
        check_the_gradebook_holds(released_course, tmp_path, steps)


def check_the_gradebook_holds(released_course: Path, tmp_path: Path, steps) -> None:
    course = tmp_path / f"course-{len(list(tmp_path.iterdir()))}"
    course.mkdir()
    shutil.copyfile(released_course / "gradebook.db", course / "gradebook.db")
    latest: dict[str, Record] = {}
    for kind, step in steps:
        if kind == "manual":
            student, category, score = step
            if student in latest:
                set_manual(course, student, category, score)
            continue
        before = held(course, step.student)[0] if step.student in latest else None
        write_rows(course, [step])
        latest[step.student] = step
        assert_holds(course, step, before)
    write_rows(course, list(latest.values()))
    for record in latest.values():
        assert_holds(course, record, None)
    assert writes_while(course, list(latest.values())) == []


def test_a_changed_record_writes_only_its_own_student(released_course: Path, tmp_path: Path):
    shutil.copyfile(released_course / "gradebook.db", tmp_path / "gradebook.db")
    first = [a_record(student, False, [3.0, 3.0, 3.0, 3.0], 0) for student in STUDENTS]
    assert writes_while(tmp_path, first)
    changed = [*first[:2], a_record(STUDENTS[2], False, [0.0, 3.0, 3.0, 3.0], 1)]
    assert writes_while(tmp_path, changed)
    assert held(tmp_path, STUDENTS[2])[1]["loss"][0] == 0.0
    assert writes_while(tmp_path, changed) == []
    assert writes_while(tmp_path, first[:2]) == []


def set_auto(course: Path, student: str, category: str, score: float) -> None:
    """Another writer's automatic score (as `nbgrader autograde` would write one)."""
    student = nbgrader_student(student)
    with open_gradebook(course) as gradebook:
        grade = gradebook.find_grade(graded_cell(category), ASSIGNMENT, ASSIGNMENT, student)
        grade.auto_score = score
        gradebook.db.commit()


others = st.one_of(
    st.tuples(st.just("manual"), manual_scores),
    st.tuples(
        st.just("auto"),
        st.tuples(a_student, st.sampled_from(CATEGORIES), st.sampled_from([0.5, 2.5])),
    ),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.one_of(st.tuples(st.just("write"), records), others), max_size=10))
def test_a_gradebook_noted_as_unchanged_holds_what_the_kit_wrote(
    released_course: Path, tmp_path: Path, steps
):
    """Whatever other writers do between the kit's runs (a grader's hand, another
    autograde), a run that opens nothing because the gradebook looks as the kit left it
    leaves it holding what every record says; and a run right after the kit's own writes
    opens nothing."""
    course = tmp_path / f"course-{len(list(tmp_path.iterdir()))}"
    course.mkdir()
    shutil.copyfile(released_course / "gradebook.db", course / "gradebook.db")
    stamp = GradebookStamp.of(course, course)
    latest: dict[str, Record] = {}
    for kind, step in steps:
        if kind == "write":
            latest[step.student] = step
        elif step[0] in latest:
            (set_manual if kind == "manual" else set_auto)(course, *step)
        else:
            continue
        record_scores(course, list(latest.values()), stamp)
        for record in latest.values():
            assert_holds(course, record, held(course, record.student)[0])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(gradebook_module, "open_gradebook", opened_needlessly)
            record_scores(course, list(latest.values()), stamp)


def opened_needlessly(course: Path) -> None:
    raise AssertionError(f"the gradebook of {course} was opened though nothing changed")


def test_a_write_that_keeps_the_files_size_and_time_is_seen(released_course: Path, tmp_path: Path):
    """SQLite's change counter tells a write the file's size and modification time miss (a
    write in the same clock tick as the kit's)."""
    shutil.copyfile(released_course / "gradebook.db", tmp_path / "gradebook.db")
    stamp = GradebookStamp.of(tmp_path, tmp_path)
    record = a_record(STUDENTS[0], False, [3.0, 3.0, 3.0, 3.0], 0)
    record_scores(tmp_path, [record], stamp)
    database = tmp_path / "gradebook.db"
    before = database.stat()
    set_auto(tmp_path, STUDENTS[0], CATEGORIES[0], 0.5)
    os.utime(database, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert database.stat().st_size == before.st_size
    assert not stamp.untouched()
    record_scores(tmp_path, [record], stamp)
    assert held(tmp_path, STUDENTS[0])[1][CATEGORIES[0]][0] == 3.0
