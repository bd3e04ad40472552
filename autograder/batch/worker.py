"""A judge worker: a fresh (spawned) process that grades chunks of a class for `grading`.

Each worker starts its own fork server once, then runs the hidden checks with one pytest
session per chunk and writes each student's feedback page as soon as the record is made.

The grader's main process names these tasks (pickling them needs this module), so this module
loads none of the judge when it is imported: the judge (torch, pytest, the checks) is imported
by the functions that run in the worker, while its fork server warms up. That keeps the main
process light and quick to start.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing import util
from pathlib import Path

from autograder.intake.submissions import Submission
from autograder.judge.confinement import student_sandbox
from autograder.judge.fault import GraderFault
from autograder.judge.record import CheckSpec, Record
from autograder.sandbox import Limits, Sandbox, SandboxError


@dataclass(frozen=True)
class GradingSetup:
    """What every chunk is graded with, so that every worker grades alike."""

    release: Path  # the trusted release notebook whose read-only cells run
    seed: int  # of this run's hidden inputs
    grader_hash: str  # the grader's own version (see `grading.grader_hash`)
    after_each: Callable[[Record], object] | None = None  # run on each record in the worker


@dataclass(frozen=True)
class Job:
    """One submission to grade, with what its record must say about why it is graded."""

    submission: Submission
    notebook_hash: str
    regraded: str = ""  # why it is graded again; "" the first time


@dataclass(frozen=True)
class WorkerFacts:
    """What a worker reports once started: its sandbox's layers and the checks it runs."""

    isolation: list[str]
    checks: tuple[CheckSpec, ...]


_sandbox: Sandbox | None = None
_startup_error: str | None = None


def start(limits: Limits, hidden: tuple[Path, ...]) -> None:
    """Start this worker's fork server, and load the judge while it warms up; a sandbox that
    cannot start is reported by the first task instead of killing the pool."""
    global _sandbox, _startup_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader's main process
    sandbox = student_sandbox(limits, hidden)
    util.Finalize(None, sandbox.close, exitpriority=10)
    import autograder.judge.sandboxed  # noqa: F401

    try:
        sandbox.started()
    except SandboxError as error:
        _startup_error = str(error)
        return
    _sandbox = sandbox


def _started_sandbox() -> Sandbox:
    if _sandbox is None:
        raise GraderFault(_startup_error or "the judge worker has no sandbox")
    return _sandbox


def facts() -> WorkerFacts:
    from autograder.judge.runner import hidden_checks

    return WorkerFacts(list(_started_sandbox().layers), hidden_checks())


def stamped(record: Record, job: Job, grader: str) -> Record:
    """A record with what it graded: the submission's details and the hashes to compare."""
    submission = job.submission
    return record.with_(
        original=submission.original,
        name=submission.name,
        submitted_at=submission.submitted_at,
        late=submission.late,
        notebook_hash=job.notebook_hash,
        grader_hash=grader,
        regraded=job.regraded,
    )


def grade_chunk(setup: GradingSetup, chunk: Sequence[Job]) -> list[Record]:
    """Grade some submissions in this worker, each followed by the setup's `after_each`
    (writing its feedback page, when grading a class); one record each."""
    from autograder.intake.notebook import load_release
    from autograder.judge.sandboxed import judge_submissions
    from autograder.judge.status import grader_error

    sandbox = _started_sandbox()
    submissions = [job.submission for job in chunk]
    release = load_release(setup.release)
    judged = judge_submissions(submissions, sandbox, release, sandbox.limits, setup.seed)
    records = []
    for job, finished in zip(chunk, judged, strict=True):
        finished = stamped(finished, job, setup.grader_hash)
        try:
            if setup.after_each is not None:
                started = time.perf_counter()
                setup.after_each(finished)
                if finished.timings is not None:
                    took = time.perf_counter() - started
                    finished = finished.with_(timings=replace(finished.timings, page=took))
        except Exception as error:
            finished = grader_error(finished, "writing the feedback page", error)
        records.append(finished)
    return records
