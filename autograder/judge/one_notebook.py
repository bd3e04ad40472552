"""Judging one notebook (`check`, Gradescope's `run_autograder`) or reading one release's
lesson (`selftest`, `gradescope`), each in a sandbox of its own.

The fork server (torch) is started before the judge (numpy, pytest, the checks) is imported: the
server's start-up and the judge's imports then run side by side instead of one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.intake.notebook import load_release
from autograder.intake.submissions import Submission
from autograder.judge.confinement import student_sandbox
from autograder.judge.record import Record
from autograder.lesson import Lesson
from autograder.loaded import freeze_loaded
from autograder.sandbox import Limits


def check_submission(
    submission: Submission,
    limits: Limits,
    release: Path,
    seed: int,
    hidden: Sequence[Path],
    lesson: Lesson | None = None,
) -> tuple[Record, Lesson]:
    """Run every hidden check against one submission, in a sandbox of its own that hides
    `hidden` (where the submission and the grader's files lie); the lesson is read from the
    release in that sandbox first, unless given (`IllPosedLesson` refuses it)."""
    trusted = load_release(release)
    cells = trusted.read_only_sources
    with student_sandbox(limits, hidden, 2, cells) as sandbox:  # the lesson, the notebook
        from autograder.judge.lesson_reading import probe_request, read_lesson
        from autograder.judge.sandboxed import judge_submissions, load_judge

        load_judge()
        if lesson is None:
            probe_request(trusted)  # a release whose cells cannot make a lesson: refused at once
            lesson = read_lesson(sandbox, trusted)
        [record] = judge_submissions([submission], sandbox, trusted, lesson, limits, seed)
    return record, lesson


def check_notebook(path: Path, limits: Limits, release: Path, seed: int) -> tuple[Record, Lesson]:
    """Run every hidden check against the notebook at `path`: the `check` command."""
    notebook = Submission(student="notebook", notebook=path, original=path.name)
    return check_submission(notebook, limits, release, seed, [path.parent])


def lesson_of_release(release: Path, limits: Limits) -> Lesson:
    """The lesson of the release at `release`, read in a sandbox of its own (for commands
    that need it before anything is graded: `selftest`, `gradescope`)."""
    trusted = load_release(release)
    with student_sandbox(limits, [], 1, trusted.read_only_sources) as sandbox:
        from autograder.judge.lesson_reading import probe_request, read_lesson

        freeze_loaded()
        probe_request(trusted)  # a release whose cells cannot make a lesson: refused at once
        return read_lesson(sandbox, trusted)
