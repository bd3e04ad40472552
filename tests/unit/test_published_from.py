"""A `grade` run publishes again exactly when something publishing reads or writes changed,
and its writers look again at exactly the students whose own files changed: every change to a
student's record, submitted notebook or secret, autograded notebook or released files unsettles
that student alone; a change to the grader, the course or the checks unsettles everyone; a
change to a class file, a writer's note, the gradebook or the class's other settings publishes
the class files again and unsettles no one; a file still settling vouches for nothing, and a
run after no change finds the same versions. The kept class summary reads back as it was kept,
whatever the students wrote."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.atomic import write_atomically
from autograder.batch.store import RecordStore
from autograder.intake.submissions import Submission
from autograder.judge.record import CheckResult, CheckSpec, Record, Status
from autograder.outputs import published_from
from autograder.outputs.class_summary import ClassSummary
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.outputs.publish import Published
from autograder.outputs.published_from import NotedStudents, PublishedVersions

STUDENTS = ("ana", "ben")
CHECKS = (CheckSpec("loss.value", "loss", 1.0), CheckSpec("update.step", "update", 1.0))
GRADER = "g1"
SETTLED = time.time() - 10_000  # a modification time long past: the file has settled

# nbgrader's course layout, written out here rather than asked of the kit
PER_STUDENT = (
    "submitted/{s}/gradient_descent/gradient_descent.ipynb",
    "submitted/{s}/gradient_descent/submission_secret.txt",
    "autograded/{s}/gradient_descent/gradient_descent.ipynb",
    "feedback/{s}/gradient_descent/submission_secret.txt",
    "feedback/{s}/gradient_descent/timestamp.txt",
)
CLASS_FILES = ("results.json", "grades.csv", "report.html", "autograded-made-from.json")


def make_course(root: Path) -> Published:
    course, out = root / "course", root / "out"
    for student in STUDENTS:
        for pattern in PER_STUDENT:
            settled_file(course / pattern.format(s=student), f"{pattern} of {student}")
        RecordStore(out).write(Record(student, Status.GRADED, 2.0, "2 of 2 points"))
    for name in CLASS_FILES:
        settled_file(out / name, name)
    settled_file(course / "gradebook.db", "SQLite format 3\0")
    GradebookStamp.of(course, out).note({})
    submissions = tuple(Submission(s, course / PER_STUDENT[0].format(s=s)) for s in STUDENTS)
    return Published(out, course, list(STUDENTS), 1.0, CHECKS, submissions=submissions)


def settled_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (SETTLED, SETTLED))


def versions(run: Published, grader: str = GRADER) -> PublishedVersions:
    return PublishedVersions.now(RecordStore(run.out_dir), run, grader)


def unchanged(now: PublishedVersions, before: PublishedVersions) -> bool:
    """Whether a run finds nothing to publish, as `publish_class` decides it."""
    return now.known() and now.digests() == before.digests()


def still_settled(now: PublishedVersions, before: PublishedVersions) -> frozenset[str]:
    """The students a run's writers pass over, from the versions noted student by student."""
    noted = json.loads(json.dumps(before.noted_students().to_json()))
    return now.settled(NotedStudents(noted["grader"], noted["students"]))


EVERYONE, NO_ONE = frozenset(STUDENTS), frozenset()


def changed_file(root: Path, run: Published, draw: st.DataObject) -> tuple[Path, frozenset[str]]:
    """A file publishing reads or writes, named by where it is, not by the kit, and the
    students still settled once it changes."""
    assert run.course_root is not None
    student = draw.draw(st.sampled_from(STUDENTS))
    others = EVERYONE - {student}
    candidates = [(run.course_root / p.format(s=student), others) for p in PER_STUDENT]
    candidates.append((run.out_dir / "records" / f"{student}.json", others))
    candidates += [(run.out_dir / name, EVERYONE) for name in CLASS_FILES]
    candidates += [
        (run.out_dir / "gradebook-written.json", EVERYONE),
        (run.course_root / "gradebook.db", EVERYONE),
    ]
    return draw.draw(st.sampled_from(candidates))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), how=st.sampled_from(["delete", "replace", "edit", "grow", "new_class_file"]))
def test_every_change_to_what_publishing_reads_or_writes_gives_other_versions(
    tmp_path_factory, data, how
):
    root = tmp_path_factory.mktemp("course")
    run = make_course(root)
    before = versions(run)
    assert before.known() and unchanged(versions(run), before)  # no change: the same versions
    assert still_settled(versions(run), before) == EVERYONE
    path, settled = changed_file(root, run, data)
    if how == "delete":
        path.unlink()
    elif how == "replace":  # a new file in its place, as the kit and most editors write
        path.unlink()
        settled_file(path, "another version")
    elif how == "edit":  # in place, now: the same inode, and the clock moved
        with path.open("a") as stream:
            stream.write("more")
    elif how == "grow":  # in place, the same modification time, another size
        with path.open("a") as stream:
            stream.write("x")
        os.utime(path, (SETTLED, SETTLED))
    else:
        path, settled = run.out_dir / "canvas.csv", EVERYONE
        settled_file(path, "a class file that was not there")
    after = versions(run)
    assert not unchanged(after, before), path
    assert still_settled(after, before) == settled, path


@given(
    change=st.sampled_from(
        [
            ({"students": ["ben", "ana"]}, EVERYONE),  # the class files list them in order
            ({"students": ["ana"]}, frozenset({"ana"})),
            ({"moodle": True}, EVERYONE),
            ({"checks": CHECKS[:1]}, NO_ONE),
            ({"course_root": None}, NO_ONE),
        ]
    )
)
@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_other_settings_or_another_grader_give_other_versions(tmp_path_factory, change):
    run = make_course(tmp_path_factory.mktemp("course"))
    before = versions(run)
    other, settled = change
    assert not unchanged(versions(replace(run, **other)), before)
    assert still_settled(versions(replace(run, **other)), before) == settled
    assert not unchanged(versions(run, grader="g2"), before)
    assert still_settled(versions(run, grader="g2"), before) == NO_ONE
    assert unchanged(versions(replace(run, seconds=99.0)), before)  # the clock is not a version


def test_a_file_read_while_it_settles_vouches_for_nothing(tmp_path: Path):
    run = make_course(tmp_path)
    assert run.course_root is not None
    before = versions(run)
    (run.course_root / PER_STUDENT[1].format(s="ben")).write_text("a secret written just now")
    now = versions(run)
    assert not now.known() and not unchanged(now, before)
    assert still_settled(now, before) == frozenset({"ana"})


def test_notes_read_back_as_they_were_taken_and_damaged_ones_keep_nothing(tmp_path: Path):
    run = make_course(tmp_path)
    note, students = tmp_path / published_from.FILE, tmp_path / published_from.STUDENTS_FILE
    summary = ClassSummary.of([Record("ana", Status.GRADED, 2.0, "")])
    taken = versions(run)
    kept = {"versions": taken.digests(), "summary": summary.to_json(), "written": [["r", "/r"]]}
    note.write_text(json.dumps(kept))
    students.write_text(json.dumps(taken.noted_students().to_json()))
    assert published_from._kept(note) == (taken.digests(), summary, [("r", Path("/r"))])
    assert NotedStudents.read(students) == taken.noted_students()
    for damaged in (
        "",
        "[",
        "[]",
        '{"versions": "v1"}',
        '{"versions": ["v1", 2], "summary": {}, "written": []}',
        json.dumps(kept | {"summary": {}}),
        json.dumps(kept | {"written": [["results", 1]]}),
    ):
        note.write_text(damaged)
        assert published_from._kept(note) is None, damaged
    for damaged in (
        "",
        "{}",
        '{"grader": 1, "students": {}}',
        '{"grader": "g", "students": []}',
        '{"grader": "g", "students": {"ana": 1}}',
    ):
        students.write_text(damaged)
        assert NotedStudents.read(students) is None, damaged


versions_of_a_file = st.lists(st.integers(min_value=0, max_value=2**64), max_size=3)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    students=st.dictionaries(
        st.text(),  # a student id is any text a folder or file name gives (surrogates too)
        st.none() | st.lists(versions_of_a_file | st.lists(versions_of_a_file), max_size=3),
        max_size=5,
    )
)
def test_each_students_versions_read_back_and_settle_them_whatever_their_id(
    tmp_path_factory, students
):
    path = tmp_path_factory.mktemp("noted") / published_from.STUDENTS_FILE
    noted = PublishedVersions("g", "c", students).noted_students()
    write_atomically(path, json.dumps(noted.to_json()), durable=False)
    read = NotedStudents.read(path)
    assert read == noted
    known = {student for student, versions in students.items() if versions is not None}
    assert PublishedVersions("g", "c", students).settled(read) == known
    assert PublishedVersions("another grader", "c", students).settled(read) == frozenset()


statuses = st.sampled_from(list(Status))
rows = st.lists(
    st.builds(
        Record,
        student=st.text(),
        status=statuses,
        max_score=st.just(2.0),
        message=st.text(),
        checks=st.lists(
            st.builds(
                CheckResult,
                id=st.just("loss.value"),
                category=st.just("loss"),
                points=st.sampled_from([0.0, 0.5, 1.0]),
                max_points=st.just(1.0),
                passed=st.booleans(),
                message=st.text(),
            ),
            max_size=2,
        ),
    ),
    max_size=6,
)


@given(rows)
def test_the_kept_class_summary_reads_back_as_it_was_kept(found):
    summary = ClassSummary.of(found)
    assert ClassSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary
    assert summary.size == len(found) == sum(count for _, count in summary.counts)
    assert [row.student for row in summary.unusual] == [
        row.student for row in found if row.status != Status.GRADED
    ]
