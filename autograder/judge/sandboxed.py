"""Judging submissions whose code runs in a sandbox: one (the `check` command) or a chunk of
a class (each batch worker)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from autograder.intake.notebook import InvalidNotebook, Release, load_release, plan_notebook
from autograder.intake.submissions import Submission
from autograder.judge.confinement import student_sandbox
from autograder.judge.record import Record, max_score
from autograder.judge.runner import SubjectReport, hidden_checks, run_checks
from autograder.judge.session import SandboxedNotebook
from autograder.judge.status import grader_error, invalid, record_of, unscored
from autograder.sandbox import Limits, Sandbox


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
    most = max_score(hidden_checks())
    for submission in submissions:
        student = submission.student
        try:
            if submission.notebook is None:
                records[student] = invalid(student, submission.problem, most)
                continue
            plan = plan_notebook(submission.notebook, release)
        except InvalidNotebook as problem:
            records[student] = invalid(student, str(problem), most)
            continue
        except Exception as error:
            records[student] = grader_error(unscored(student, most), "reading the notebook", error)
            continue
        subjects.append(SandboxedNotebook(submission.student, plan, sandbox))

    def finished(report: SubjectReport) -> None:
        subject: SandboxedNotebook = report.subject  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            record = record_of(report, limits, seed, subject.notes(), subject.output(), most)
            took = replace(subject.timings(), record=time.perf_counter() - started)
            records[subject.id] = record.with_(timings=took)
        except Exception as error:
            records[subject.id] = grader_error(
                unscored(subject.id, most), "recording the result", error
            )

    if subjects:
        run_checks(subjects, seed, on_done=finished)
    for subject in subjects:
        if subject.id not in records:
            records[subject.id] = grader_error(
                unscored(subject.id, most),
                "running the checks",
                RuntimeError("no result came back"),
            )
    return [records[submission.student] for submission in submissions]


def check_submission(
    submission: Submission, limits: Limits, release: Path, seed: int, hidden: Sequence[Path]
) -> Record:
    """Run every hidden check against one submission, in a sandbox of its own that hides
    `hidden` (where the submission and the grader's files lie)."""
    with student_sandbox(limits, hidden) as sandbox:
        [record] = judge_submissions([submission], sandbox, load_release(release), limits, seed)
    return record


def check_notebook(path: Path, limits: Limits, release: Path, seed: int) -> Record:
    """Run every hidden check against the notebook at `path`: the `check` command."""
    notebook = Submission(student="notebook", notebook=path, original=path.name)
    return check_submission(notebook, limits, release, seed, [path.parent])
