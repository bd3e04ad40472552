"""A sandbox that fails to set a student's process up is the grader's failure, never the
student's: nothing of theirs ran. Real fork server, real cgroups held against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

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
    """A sandbox like a `check` run's, and the lesson read in it."""
    with student_sandbox(LIMITS, [], launches=4) as sandbox:
        if not {"memory-cgroup", "pids-cgroup"} <= set(sandbox.layers):
            pytest.skip("not available on this machine: per-student cgroups")
        yield sandbox, read_lesson(sandbox, load_release(RELEASE))


def graded(sandbox: Sandbox, lesson: Lesson, folder: Path) -> Record:
    """The record of a correct notebook."""
    path = folder / "correct.ipynb"
    path.write_text(json.dumps(notebook_for(CORRECT[0], RELEASE)))
    submission = Submission(student="ana", notebook=path, original=path.name)
    release = load_release(RELEASE)
    [record] = judge_submissions([submission], sandbox, release, lesson, LIMITS, seed=7)
    return record


def test_a_student_the_sandbox_failed_once_is_launched_again_and_graded(
    graded_in: tuple[Sandbox, Lesson], tmp_path: Path
) -> None:
    sandbox, lesson = graded_in
    with held_cgroups(sandbox, 1):
        record = graded(sandbox, lesson, tmp_path)
    assert (record.status, record.score) == (Status.GRADED, record.max_score), record.message


def test_a_student_the_sandbox_failed_twice_is_the_graders_error_not_a_crash(
    graded_in: tuple[Sandbox, Lesson], tmp_path: Path
) -> None:
    sandbox, lesson = graded_in
    with held_cgroups(sandbox, 2):
        record = graded(sandbox, lesson, tmp_path)
    assert record.status == Status.GRADER_ERROR, record.message
    assert "could not be set up (sandbox: could not set up " in record.message
    assert "not the student's fault" in record.message
    assert all(not check.passed for check in record.checks)


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
