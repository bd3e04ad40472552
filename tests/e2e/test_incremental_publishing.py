"""A `grade` run that publishes after some students changed leaves every output as publishing
the whole class afresh would: whichever students' notebooks changed, and whichever of their
files were lost or replaced by hand between runs, just now or long enough ago to have settled.
Hypothesis draws the changes; the reference is a copy of the course, made after the run, with
every note publishing keeps removed, graded again (which grades no one and publishes all)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.atomic import SETTLING_SECONDS
from tests.corpus.answers import CORRECT, WRONG
from tests.support.course import ASSIGNMENT, NOTEBOOK, ROOT, copy_released
from tests.support.notebooks import notebook_for, write_submission

pytestmark = pytest.mark.slow
ANSWERS = [*CORRECT[:2], *WRONG[:3]]
STUDENTS = [answer.name for answer in ANSWERS]
# Every note publishing keeps beside the records: without them, a run publishes everything.
NOTES = (
    "published-from.json",
    "published-students.json",
    "autograded-made-from.json",
    "release-files-made-from.json",
)
KINDS_OF_CHANGE = ("notebook", "secret", "autograded", "released timestamp", "released secret")
# What publishing writes (the pages are the graders' own: `feedback` rebuilds them)
OUTPUTS = ("autograded", "feedback")
CLASS_FILES = ("results.json", "grades.csv", "mistakes.csv")


def grade(course: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(course / "submitted")]
        + ["--out", str(course / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done


def in_folder(course: Path, step: str, student: str) -> Path:
    return course / step / student / ASSIGNMENT


@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_course) -> Path:
    """A course whose class is graded and published; half its submissions carry nbgrader's
    secret, half were put in `submitted/` by hand."""
    course = tmp_path_factory.mktemp("incremental") / "course"
    release = copy_released(released_course, course)
    for number, answer in enumerate(ANSWERS):
        folder = in_folder(course, "submitted", answer.name)
        write_submission(folder / NOTEBOOK, notebook_for(answer, release))
        (folder / "timestamp.txt").write_text(f"2026-11-{10 + number:02d} 09:30:00.000000 UTC")
        if number % 2 == 0:
            (folder / "submission_secret.txt").write_text(f"the secret of {answer.name}")
    grade(course)
    time.sleep(SETTLING_SECONDS)  # so that the runs below find these files settled
    return course


def change(course: Path, student: str, kind: str, round_: int) -> None:
    """One change between runs: what a student hands in again, or a file lost or replaced."""
    if kind == "notebook":
        answer = ANSWERS[(STUDENTS.index(student) + round_ + 1) % len(ANSWERS)]
        notebook = notebook_for(answer, course / "release" / ASSIGNMENT / NOTEBOOK)
        write_submission(in_folder(course, "submitted", student) / NOTEBOOK, notebook)
    elif kind == "secret":
        secret = in_folder(course, "submitted", student) / "submission_secret.txt"
        secret.write_text(f"another secret, round {round_}")
    else:
        lost = {
            "autograded": in_folder(course, "autograded", student) / NOTEBOOK,
            "released timestamp": in_folder(course, "feedback", student) / "timestamp.txt",
            "released secret": in_folder(course, "feedback", student) / "submission_secret.txt",
        }[kind]
        lost.unlink(missing_ok=True)


def outputs(course: Path) -> dict[str, bytes]:
    """Every file publishing writes, by where it is in the course, with what it holds."""
    found = {
        str(path.relative_to(course)): path.read_bytes()
        for step in OUTPUTS
        for path in (course / step).rglob("*")
        if path.is_file()
    }
    found |= {name: (course / "out" / name).read_bytes() for name in CLASS_FILES}
    return found


changes = st.lists(
    st.tuples(st.sampled_from(STUDENTS), st.sampled_from(KINDS_OF_CHANGE)), min_size=1, max_size=4
)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=st.lists(st.tuples(changes, st.booleans()), min_size=1, max_size=2))
def test_publishing_after_any_changes_equals_publishing_the_class_afresh(
    graded, tmp_path_factory, rounds
):
    folder = tmp_path_factory.mktemp("changed")
    course = folder / "course"
    shutil.copytree(graded, course)
    for round_, (these, settle) in enumerate(rounds):
        for student, kind in these:
            change(course, student, kind, round_)
        if settle:
            time.sleep(SETTLING_SECONDS)
        grade(course)
    last = grade(course)  # publishes nothing: says what the last publish said
    afresh = folder / "afresh"
    shutil.copytree(course, afresh)
    for note in NOTES:
        (afresh / "out" / note).unlink(missing_ok=True)
    again = grade(afresh)
    assert "graded 0 new and 0 again" in again.stdout
    assert outputs(course) == outputs(afresh)
    assert without_a_secret(last.stdout) == without_a_secret(again.stdout)


def without_a_secret(summary: str) -> list[str]:
    """What the run says of the submissions that came without nbgrader's secret (the folder
    it names is the course's own)."""
    return [
        line.rsplit(": ", 1)[0] for line in summary.splitlines() if "submission_secret.txt" in line
    ]
