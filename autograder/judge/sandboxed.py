"""Judging submissions whose code runs in a sandbox: one (the `check` command) or a chunk of
a class (each batch worker)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from autograder.inside.responder import serve
from autograder.intake.notebook import InvalidNotebook, Release, load_release, plan_notebook
from autograder.intake.submissions import Submission
from autograder.judge.check import CHECKS_DIR
from autograder.judge.record import Record
from autograder.judge.runner import SubjectReport, run_checks
from autograder.judge.session import SandboxedNotebook
from autograder.judge.status import grader_error, invalid, record_of
from autograder.sandbox import Limits, Sandbox

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STUDENT_ENTRY = f"{serve.__module__}:{serve.__qualname__}"  # what runs in a student process


def student_sandbox(limits: Limits, hidden: Sequence[Path]) -> Sandbox:
    """A fork server whose confined processes run a submission's notebook (see `inside`)."""
    return Sandbox(limits, secret_paths(*hidden), entry=STUDENT_ENTRY)


def secret_paths(*extra: Path) -> list[Path]:
    """Directories a student process must not see even where they lie inside the runtime:
    the grader itself and what it reads. (Everything outside the runtime is unseen anyway.)

    When the grader runs from this kit's own course directory, that directory (holding the
    reference solution in source/) is hidden too.
    """
    paths = {PACKAGE_DIR, CHECKS_DIR.resolve()}
    if (PACKAGE_DIR.parent / "nbgrader_config.py").is_file():
        paths.add(PACKAGE_DIR.parent)
    paths.update(path.resolve() for path in extra if path.exists())
    return sorted(paths)


def judge_submissions(
    submissions: Sequence[Submission],
    sandbox: Sandbox,
    release: Release,
    limits: Limits,
    seed: int,
) -> list[Record]:
    """Run every hidden check against each submission, in one pytest session; one record
    each, in order, whatever goes wrong with any one of them."""
    records: dict[str, Record] = {}
    subjects: list[SandboxedNotebook] = []
    for submission in submissions:
        try:
            if submission.notebook is None:
                records[submission.student] = invalid(submission.student, submission.problem)
                continue
            plan = plan_notebook(submission.notebook, release)
        except InvalidNotebook as problem:
            records[submission.student] = invalid(submission.student, str(problem))
            continue
        except Exception as error:
            records[submission.student] = grader_error(
                submission.student, "reading the notebook", error
            )
            continue
        subjects.append(SandboxedNotebook(submission.student, plan, sandbox))

    def finished(report: SubjectReport) -> None:
        subject: SandboxedNotebook = report.subject  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            record = record_of(report, limits, seed, subject.notes(), subject.output())
            took = replace(subject.timings(), record=time.perf_counter() - started)
            records[subject.id] = record.with_(timings=took)
        except Exception as error:
            records[subject.id] = grader_error(subject.id, "recording the result", error)

    if subjects:
        run_checks(subjects, seed, on_done=finished)
    for subject in subjects:
        if subject.id not in records:
            records[subject.id] = grader_error(
                subject.id, "running the checks", RuntimeError("no result came back")
            )
    return [records[submission.student] for submission in submissions]


def check_notebook(path: Path, limits: Limits, release: Path, seed: int) -> Record:
    """Run every hidden check against the notebook at `path`: the `check` command."""
    notebook = Submission(student="notebook", notebook=path, original=path.name)
    with student_sandbox(limits, [path.parent]) as sandbox:
        [record] = judge_submissions([notebook], sandbox, load_release(release), limits, seed)
    return record
