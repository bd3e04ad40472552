"""What is graded again when notes say which notebook each record was graded from: exactly
what would be without them, after any sequence of changes to the notebooks, the records, the
grader and the notes themselves, and a row the grader failed on always; and a student the
notes vouch for is decided on without reading their notebook or record."""

from __future__ import annotations

import os
import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.batch.graded_from import FILE, GradedFrom
from autograder.batch.grading import jobs_for, note_graded, release_hash
from autograder.batch.store import RecordStore
from autograder.batch.worker import GradingSetup, Job
from autograder.intake.submissions import Submission
from autograder.judge.record import Record, RecordError, Status

STUDENTS = ("ana", "ben", "cy")
RELEASE = b'{"cells": []}'
CONTENTS = (b'{"a": 1}', b'{"a": 2}', b'{"b": 1}', b'{"a": 10}')  # two of the same size

notebook_change = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(STUDENTS), st.sampled_from(CONTENTS)),
    st.tuples(st.just("edit_now"), st.sampled_from(STUDENTS), st.sampled_from(CONTENTS)),
    st.tuples(st.just("replace"), st.sampled_from(STUDENTS), st.sampled_from(CONTENTS)),
    st.tuples(st.just("touch"), st.sampled_from(STUDENTS), st.none()),
    st.tuples(st.just("delete_notebook"), st.sampled_from(STUDENTS), st.none()),
)
change = st.one_of(
    notebook_change,
    st.tuples(st.just("record_of_other"), st.sampled_from(STUDENTS), st.sampled_from(CONTENTS)),
    st.tuples(st.just("delete_record"), st.sampled_from(STUDENTS), st.none()),
    st.tuples(st.just("grader"), st.none(), st.sampled_from(("g1", "g2"))),
    st.tuples(st.just("damage_notes"), st.none(), st.sampled_from((b"[", b"{}", b'{"x": 1}'))),
    st.tuples(st.just("grade"), st.none(), st.none()),
    st.tuples(st.just("grade_failing"), st.none(), st.sets(st.sampled_from(STUDENTS), min_size=1)),
    st.tuples(st.just("grade_while"), st.none(), notebook_change),
)


class Course:
    """Notebooks and records whose files are changed as a class's are between runs."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.clock = time.time() - 10_000  # modification times that have settled
        self.grader = "g1"

    def notebook(self, student: str) -> Path:
        return self.root / f"{student}.ipynb"

    def settle(self, path: Path) -> None:
        self.clock += 1
        os.utime(path, (self.clock, self.clock))

    def submissions(self) -> list[Submission]:
        return [
            Submission(s, self.notebook(s)) if self.notebook(s).exists() else Submission(s, None)
            for s in STUDENTS
        ]

    def setup(self) -> GradingSetup:
        return GradingSetup(RELEASE, 0, self.grader)

    def record(self, student: str, notebook_hash: str, status: Status = Status.GRADED) -> Record:
        return Record(
            student,
            status,
            12.0,
            "12 of 12 points",
            notebook_hash=notebook_hash,
            grader_hash=self.grader,
            release_hash=release_hash(RELEASE),
        )

    def apply(self, kind: str, student: str | None, value: object) -> None:
        store = RecordStore(self.out)
        path = self.notebook(student) if student else None
        if kind in ("edit", "edit_now") and path is not None:
            path.write_bytes(value)  # in place: the same file
            if kind == "edit":
                self.settle(path)
        elif kind == "replace" and path is not None:
            fresh = path.with_suffix(".new")
            fresh.write_bytes(value)
            self.settle(fresh)
            fresh.replace(path)
        elif kind == "touch" and path is not None and path.exists():
            self.settle(path)
        elif kind == "delete_notebook" and path is not None:
            path.unlink(missing_ok=True)
        elif kind == "record_of_other" and student is not None:
            store.write(self.record(student, Submission(student, value).content_hash()))
        elif kind == "delete_record" and student is not None:
            store.record_file(student).unlink(missing_ok=True)
        elif kind == "grader":
            self.grader = str(value)
        elif kind == "damage_notes":
            (self.out / FILE).parent.mkdir(parents=True, exist_ok=True)
            (self.out / FILE).write_bytes(value)
        elif kind == "grade":
            self.grade()
        elif kind == "grade_while":
            self.grade(meanwhile=[value])
        elif kind == "grade_failing":
            self.grade(failing=value)

    def grade(self, meanwhile: Sequence[Any] = (), failing: Collection[str] = ()) -> None:
        """A run: decide with the notes, grade what was decided, note what was graded; with
        the changes to notebooks `meanwhile` made while it grades, and the grader failing on
        the students in `failing`."""
        store, setup = RecordStore(self.out), self.setup()
        notes = GradedFrom.of(self.out, setup.grader_hash, release_hash(RELEASE))
        jobs, _ = jobs_for(self.submissions(), store, setup, False, notes)
        for job in jobs:
            student = job.submission.student
            status = Status.GRADER_ERROR if student in failing else Status.GRADED
            store.write(self.record(student, job.notebook_hash, status))
        for made in meanwhile:
            self.apply(*made)
        note_graded(jobs, store, setup, notes)
        notes.save()


def decided(jobs: list[Job], unchanged: int) -> tuple[list[tuple[str, str]], int]:
    return [(job.submission.student, job.regraded) for job in jobs], unchanged


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(change, max_size=14))
def test_notes_never_change_what_is_graded(tmp_path_factory, changes):
    course = Course(tmp_path_factory.mktemp("course"))
    for student in STUDENTS:
        course.notebook(student).write_bytes(CONTENTS[0])
        course.settle(course.notebook(student))
    course.grade()
    for kind, student, value in changes:
        course.apply(kind, student, value)
        setup = course.setup()
        noted = GradedFrom.of(course.out, setup.grader_hash, release_hash(RELEASE))
        none = GradedFrom(course.out / "unused.json", noted.under)
        with_notes = jobs_for(course.submissions(), RecordStore(course.out), setup, False, noted)
        without = jobs_for(course.submissions(), RecordStore(course.out), setup, False, none)
        assert decided(*with_notes) == decided(*without)
        failed = {student for student in STUDENTS if failed_on(course, student)}
        assert failed <= {job.submission.student for job in with_notes[0]}


def failed_on(course: Course, student: str) -> bool:
    """Whether the student's notebook is there and their stored record is the grader's error:
    no verdict, so theirs is graded again whatever the notes say."""
    store = RecordStore(course.out)
    if not (course.notebook(student).exists() and store.has(student)):
        return False
    try:
        return store.row(student).status == Status.GRADER_ERROR
    except RecordError:
        return False


def test_a_student_the_notes_vouch_for_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    course = Course(tmp_path)
    for student in STUDENTS:
        course.notebook(student).write_bytes(CONTENTS[0])
        course.settle(course.notebook(student))
    course.grade()  # graded, and noted
    course.apply("edit", "ben", CONTENTS[1])

    def read_needlessly(self: object, *args: object) -> None:
        raise AssertionError("read though the notes vouch for it")

    hashed = []
    real_hash = Submission.content_hash
    monkeypatch.setattr(RecordStore, "read", read_needlessly)
    monkeypatch.setattr(
        Submission, "content_hash", lambda s: hashed.append(s.student) or real_hash(s)
    )
    setup = course.setup()
    notes = GradedFrom.of(course.out, setup.grader_hash, release_hash(RELEASE))
    jobs, unchanged = jobs_for(course.submissions(), RecordStore(course.out), setup, False, notes)
    assert [job.submission.student for job in jobs] == ["ben"] and unchanged == 2
    assert hashed == ["ben"]


def test_a_notebook_still_settling_is_checked_by_content_until_it_settles(tmp_path: Path):
    course = Course(tmp_path)
    for student in STUDENTS:
        course.notebook(student).write_bytes(CONTENTS[0])  # written just now
    course.grade()
    setup = course.setup()
    notes = GradedFrom.of(course.out, setup.grader_hash, release_hash(RELEASE))
    assert notes.noted == {}
    for student in STUDENTS:
        course.settle(course.notebook(student))
    course.grade()
    notes = GradedFrom.of(course.out, setup.grader_hash, release_hash(RELEASE))
    assert sorted(notes.noted) == list(STUDENTS)


@pytest.mark.parametrize("meanwhile", ["settles", "changes and settles", "changes"])
def test_a_notebook_settling_while_graded_is_noted_once_it_holds_what_was_graded(
    tmp_path: Path, meanwhile: str
):
    """A class graded just after its notebooks were written is noted by that run, so the
    next run reads none of them; a notebook changed meanwhile is not."""
    course = Course(tmp_path)
    for student in STUDENTS:
        course.notebook(student).write_bytes(CONTENTS[0])  # written just now
    change = {
        "settles": ("touch", "ben", None),
        "changes and settles": ("edit", "ben", CONTENTS[1]),
        "changes": ("edit_now", "ben", CONTENTS[1]),
    }[meanwhile]
    course.grade(meanwhile=[("touch", "ana", None), change, ("touch", "cy", None)])
    setup = course.setup()
    notes = GradedFrom.of(course.out, setup.grader_hash, release_hash(RELEASE))
    expected = ["ana", "ben", "cy"] if meanwhile == "settles" else ["ana", "cy"]
    assert sorted(notes.noted) == expected
