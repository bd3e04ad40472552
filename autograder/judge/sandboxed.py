"""Judging submissions whose code runs in a sandbox: a chunk of a class (each batch worker),
or one notebook (`autograder.judge.one_notebook`)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from autograder.intake.notebook import InvalidNotebook, Release, plan_notebook
from autograder.intake.submissions import Submission
from autograder.judge.record import Record, max_score
from autograder.judge.reference import reference_for
from autograder.judge.runner import SubjectReport, hidden_checks, run_checks
from autograder.judge.seeds import submission_seed
from autograder.judge.session import SandboxedNotebook
from autograder.judge.status import grader_error, invalid, record_of, unscored
from autograder.lesson import Lesson
from autograder.loaded import freeze_loaded
from autograder.sandbox import Limits, Sandbox


def load_judge() -> None:
    """What judging needs before its first submission, done while the fork server warms up
    (it takes longer): the hidden checks collected by pytest, then everything loaded frozen
    (`freeze_loaded`). `GraderFault` if there are no checks to run."""
    hidden_checks()
    freeze_loaded()


def judge_submissions(
    submissions: Sequence[Submission],
    sandbox: Sandbox,
    release: Release,
    lesson: Lesson,
    limits: Limits,
    seed: int,
) -> list[Record]:
    """Run every hidden check against each submission on `lesson`, in one pytest session,
    each with the hidden inputs of its own seed (from the run's `seed` and its notebook);
    one record each, in order, whatever goes wrong with any one of them."""
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
        own_seed = submission_seed(seed, submission.content_hash())
        subjects.append(SandboxedNotebook(student, own_seed, plan, lesson, sandbox))

    def finished(report: SubjectReport) -> None:
        subject: SandboxedNotebook = report.subject  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            record = record_of(report, limits, subject.notes(), subject.output(), most)
            took = replace(subject.timings(), record=time.perf_counter() - started)
            records[subject.id] = record.with_(timings=took)
        except Exception as error:
            records[subject.id] = grader_error(
                unscored(subject.id, most), "recording the result", error
            )

    if subjects:
        run_checks(subjects, reference_for(lesson), on_done=finished)
    for subject in subjects:
        if subject.id not in records:
            records[subject.id] = grader_error(
                unscored(subject.id, most),
                "running the checks",
                RuntimeError("no result came back"),
            )
    stamp = {"lesson_hash": lesson.hash, "release_hash": lesson.release_hash}
    return [records[submission.student].with_(**stamp) for submission in submissions]
