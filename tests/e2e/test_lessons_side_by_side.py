"""Two nbgrader courses with different edits of the lesson, graded on the same machine and on
the same Dask cluster: each is graded against its own lesson, its records say which, and an
edit regrades the whole course with the reason in the summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from distributed import LocalCluster

from autograder.batch.catalogue import Answer
from tests.corpus.answers import REFERENCE
from tests.support.course import ASSIGNMENT, NOTEBOOK, kernel_env
from tests.support.edits import WELL_POSED, Edit, edited_course
from tests.support.lesson import lesson_in_process

pytestmark = pytest.mark.slow

SHIPPED = Edit("shipped", ())
SLOWER = next(edit for edit in WELL_POSED if edit.name == "smaller_learning_rate_and_more_epochs")
FASTER = next(edit for edit in WELL_POSED if edit.name == "fewer_epochs_and_a_larger_learning_rate")


def following(lr: float) -> Answer:
    """A correct student who writes the learning rate of their notebook inside update()."""
    return Answer(
        f"lr_{lr:g}",
        update=(
            "def update():\n"
            f"    lr = {lr!r}\n"
            "    loss = mean_squared_error(y, x @ a)\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n"
            "        a.sub_(lr * a.grad)\n"
            "        a.grad.zero_()\n"
        ),
    )


def release_of(course: Path) -> Path:
    return course / "release" / ASSIGNMENT / NOTEBOOK


@pytest.fixture(scope="module")
def courses(tmp_path_factory: pytest.TempPathFactory, released_course: Path) -> dict[str, Path]:
    """Two courses, each with a student following it and one following the other."""
    made = {
        "shipped": edited_course(tmp_path_factory.mktemp("shipped"), SHIPPED, released_course),
        "slower": edited_course(tmp_path_factory.mktemp("slower"), SLOWER, released_course),
    }
    rates = {name: lesson_in_process(release_of(course)).lr for name, course in made.items()}
    for course in made.values():
        for rate in rates.values():
            answer = following(rate)
            folder = course / "submitted" / answer.name / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(answer.notebook(release_of(course), REFERENCE), folder / NOTEBOOK)
    return made


def grade(course: Path, out: str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "submitted", "--out", out, *options],
        cwd=course,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def records(course: Path, out: str) -> dict[str, dict]:
    folder = course / out / "records"
    return {
        record["student"]: record
        for record in (json.loads(path.read_text()) for path in folder.glob("*.json"))
    }


def assert_each_graded_against_its_own_lesson(courses: dict[str, Path], out: str) -> None:
    for course in courses.values():
        lesson = lesson_in_process(release_of(course))
        found = records(course, out)
        assert {record["lesson_hash"] for record in found.values()} == {lesson.hash}
        own = found[f"lr_{lesson.lr:g}"]
        [other] = [record for name, record in found.items() if name != f"lr_{lesson.lr:g}"]
        assert own["score"] == 12.0, own["checks"]
        assert other["score"] < 12.0
        assert "update_wrong_learning_rate" in json.dumps(other["checks"])


def test_each_course_is_graded_against_its_own_lesson(courses):
    for course in courses.values():
        done = grade(course, "grading")
        assert done.returncode == 0, done.stdout + done.stderr
        assert lesson_in_process(release_of(course)).describe() in done.stdout
    assert_each_graded_against_its_own_lesson(courses, "grading")


def test_on_one_dask_cluster_each_course_is_graded_against_its_own_lesson(courses):
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True) as cluster:
        for course in courses.values():
            done = grade(course, "grading-dask", "--scheduler", cluster.scheduler_address)
            assert done.returncode == 0, done.stdout + done.stderr
    assert_each_graded_against_its_own_lesson(courses, "grading-dask")


def test_an_edit_regrades_the_whole_course_and_the_summary_says_why(courses):
    course = courses["shipped"]
    assert grade(course, "grading").returncode == 0  # graded already: nothing changed
    FASTER.apply(course / "source" / ASSIGNMENT / NOTEBOOK)
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course,
        env=kernel_env(),
        capture_output=True,
        check=True,
        timeout=600,
    )
    done = grade(course, "grading")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "graded 0 new and 2 again" in done.stdout
    reason = "the lesson's notebook (the release) changed since it was last graded"
    assert f"graded again, 2: {reason}" in done.stdout
    lesson = lesson_in_process(release_of(course))
    assert lesson.describe() in done.stdout
    assert {r["lesson_hash"] for r in records(course, "grading").values()} == {lesson.hash}
    assert {r["regraded"] for r in records(course, "grading").values()} == {reason}
