"""When the sandbox fails a student (it cannot set their process up, or its fork server dies
under them) their row says the grader failed, never that they did, and the others are graded.
Real fork servers, real cgroups held against them, a real SIGKILL."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest

from autograder.intake.notebook import load_release
from autograder.intake.submissions import Submission
from autograder.judge import lesson_reading
from autograder.judge.confinement import student_sandbox
from autograder.judge.lesson_reading import read_lesson
from autograder.judge.record import Record, Status
from autograder.judge.sandboxed import judge_submissions
from autograder.lesson import Lesson
from autograder.sandbox import Limits, Sandbox, SandboxError
from tests.corpus.answers import CORRECT
from tests.support.cgroups import held_cgroups
from tests.support.notebooks import RELEASE, notebook_for

LIMITS = Limits()


@pytest.fixture(scope="module")
def graded_in() -> Iterator[tuple[Sandbox, Lesson]]:
    """A sandbox like a `check` run's, and the lesson read in it; it forks no student ahead
    of its turn, so that the cgroups held against the next students fail the next launches."""
    with student_sandbox(LIMITS, [], launches=1) as sandbox:
        yield sandbox, read_lesson(sandbox, load_release(RELEASE))


def submission(folder: Path, student: str, cell: str = "", before: str | None = None) -> Submission:
    """A correct notebook; with `cell` added before the cell whose grade id is `before` (at
    the top, if None)."""
    notebook = notebook_for(CORRECT[0], RELEASE)
    if cell:
        ids = [each.metadata.get("nbgrader", {}).get("grade_id") for each in notebook.cells]
        notebook.cells.insert(ids.index(before) if before else 0, nbformat.v4.new_code_cell(cell))
    path = folder / f"{student}.ipynb"
    path.write_text(json.dumps(notebook))
    return Submission(student=student, notebook=path, original=path.name)


def graded(sandbox: Sandbox, lesson: Lesson, folder: Path, limits: Limits = LIMITS) -> Record:
    """The record of a correct notebook."""
    release = load_release(RELEASE)
    [record] = judge_submissions(
        [submission(folder, "ana")], sandbox, release, lesson, limits, seed=7
    )
    return record


@pytest.mark.parametrize("failures", [1, 2])
def test_a_student_the_sandbox_fails_to_set_up_is_launched_once_more_then_the_graders_error(
    graded_in: tuple[Sandbox, Lesson], tmp_path: Path, failures: int
) -> None:
    """Failed once, the student is graded in full; failed twice, the row is the grader's
    error in the sandbox's words, never the student's crash."""
    sandbox, lesson = graded_in
    with held_cgroups(sandbox, failures):
        record = graded(sandbox, lesson, tmp_path)
    if failures == 1:
        assert (record.status, record.score) == (Status.GRADED, record.max_score), record.message
        return
    assert record.status == Status.GRADER_ERROR, record.message
    assert "could not be set up (sandbox: could not set up " in record.message
    assert "not the student's fault" in record.message
    assert all(not check.passed for check in record.checks)


def test_a_student_stopped_at_a_time_limit_before_being_set_up_is_the_graders_error(
    graded_in: tuple[Sandbox, Lesson], tmp_path: Path
) -> None:
    """A limit too short for the sandbox to set a process up (a millisecond) stops it before
    any of the student's code runs: that is no verdict on their code. (Each process here is
    forked at its turn, so its clock runs while it is set up; one forked ahead is set up
    before its clock starts.)"""
    _, lesson = graded_in
    limits = Limits.for_wall_clock(0.001)
    with student_sandbox(limits, [], launches=1) as sandbox:
        record = graded(sandbox, lesson, tmp_path, limits)
    assert record.status == Status.GRADER_ERROR, record.message
    assert "was stopped at its time limit" in record.message
    assert "before it was set up" in record.message


def test_reading_the_lesson_where_the_sandbox_failed_says_so(
    graded_in: tuple[Sandbox, Lesson], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, _ = graded_in
    monkeypatch.setattr(lesson_reading, "_read", {})  # read afresh, not from this run's cache
    with held_cgroups(sandbox, 1), pytest.raises(SandboxError) as refused:
        read_lesson(sandbox, load_release(RELEASE))
    assert "the sandbox could not set its process up: sandbox: could not set up " in str(
        refused.value
    )


@pytest.mark.parametrize("asleep_before", [None, "update_checks"], ids=["first_cell", "mid_checks"])
def test_a_student_whose_fork_server_died_under_them_is_the_graders_error(
    asleep_before: str | None, tmp_path: Path
) -> None:
    """The fork server is killed while the first student's notebook runs a cell that sleeps
    (its students die with it), before any check or after the first ones: that student's
    row is the grader's error, and the next student is graded by a fork server started
    afresh."""
    others = set(psutil.Process().children())
    with student_sandbox(LIMITS, [], launches=4) as sandbox:
        release = load_release(RELEASE)
        lesson = read_lesson(sandbox, release)
        [server] = set(psutil.Process().children()) - others
        slow = submission(tmp_path, "first", "import time\ntime.sleep(3)", asleep_before)
        killer = threading.Thread(target=kill_once_a_student_runs, args=(server,))
        killer.start()
        try:
            first, second = judge_submissions(
                [slow, submission(tmp_path, "second")], sandbox, release, lesson, LIMITS, seed=7
            )
        finally:
            killer.join()
    assert first.status == Status.GRADER_ERROR, first.message
    assert "the fork server went away" in first.message
    assert {check.category for check in first.checks if check.passed} <= {"loss"}
    assert (second.status, second.score) == (Status.GRADED, second.max_score), second.message


def kill_once_a_student_runs(server: psutil.Process) -> None:
    deadline = time.monotonic() + 60
    while not server.children() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(1)  # the student is in its cell that sleeps
    server.kill()
