"""A judge worker: a fresh process that grades chunks of a class for `grading`,
or a Dask worker doing the same for `cluster`.

A `grade` run's workers share one fork server, which the run starts (`start_joined`), so that
torch is warmed up once per run; a service's and a Dask cluster's workers start one each
(`start`, `start_sandbox`). A worker runs the hidden checks with one pytest session per chunk
and writes each student's feedback page as soon as the record is made.

The grader's main process names these tasks (pickling them needs this module), so this module
loads none of the judge when it is imported: the judge (numpy, pytest, the checks) is loaded
by the process workers are forked from, or by the worker itself, while the fork server warms
up. That keeps the main process light and quick to start.
"""

from __future__ import annotations

import importlib
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing import util
from pathlib import Path

from autograder.intake.submissions import Submission
from autograder.judge.confinement import student_sandbox
from autograder.judge.fault import GraderFault
from autograder.judge.record import CheckSpec, Record
from autograder.lesson import Lesson
from autograder.loaded import collected_after, release_freed
from autograder.sandbox import Limits, Sandbox, SandboxError, SandboxShare


@dataclass(frozen=True)
class GradingSetup:
    """What every chunk is graded with, so that every worker grades alike."""

    release: Path | bytes  # the trusted release notebook whose read-only cells run
    seed: int  # of this run's hidden inputs (each submission's own seed mixes it in)
    grader_hash: str  # the grader's own version (see `grading.grader_hash`)
    # run on each record in the worker, with the lesson (writing its feedback page)
    after_each: Callable[[Record, Lesson], object] | None = None
    lesson: Lesson | None = None  # read from the release before the first chunk is graded
    # run in each worker with the lesson while its fork server warms up (setting up the
    # figures of the pages `after_each` writes)
    prepare: Callable[[Lesson], object] | None = None

    @property
    def preparation(self) -> Callable[[], object] | None:
        """What a worker does before its first chunk: `prepare` the lesson, when it is known
        before the workers start (a run that grades what changed)."""
        if self.prepare is None or self.lesson is None:
            return None
        return partial(self.prepare, self.lesson)


@dataclass(frozen=True)
class Job:
    """One submission to grade, with what its record must say about why it is graded."""

    submission: Submission
    notebook_hash: str
    regraded: str = ""  # why it is graded again; "" the first time
    notebook_version: list[int] | None = None  # of its file, taken before it was hashed


@dataclass(frozen=True)
class WorkerFacts:
    """What a worker reports once started: its sandbox's layers and the checks it runs."""

    isolation: list[str]
    checks: tuple[CheckSpec, ...]


# What a worker loads before its first submission: the judge (numpy, pytest, the checks) and
# the feedback pages (matplotlib).
JUDGE_MODULES = ("autograder.judge.sandboxed", "autograder.feedback.pages")

_sandbox: Sandbox | None = None
_startup_error: str | None = None


def start(
    limits: Limits, hidden: tuple[Path, ...], launches: int, cells: Sequence[str] = ()
) -> None:
    """Start a pool worker with a fork server of its own (see `start_sandbox`)."""
    ignore_ctrl_c()
    start_sandbox(limits, hidden, launches, cells=cells)


def start_joined(
    share: SandboxShare, launches: int, preparation: Callable[[], object] | None = None
) -> None:
    """Start a pool worker on the fork server its run shares (see `start_sandbox`), for at
    most `launches` students, doing the setup's `preparation` while the server warms up."""
    ignore_ctrl_c()
    _start_with(Sandbox.joined(share, launches), preparation=preparation)


def ignore_ctrl_c() -> None:
    """Ctrl-C is for the grader's main process, which stops its workers itself."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def start_sandbox(
    limits: Limits,
    hidden: tuple[Path, ...],
    launches: int,
    required: Sequence[str] = (),
    cells: Sequence[str] = (),
) -> None:
    """Start this worker's fork server for about `launches` students, learning `cells`
    (`student_sandbox`)."""
    _start_with(student_sandbox(limits, hidden, launches, cells), required)


def _start_with(
    sandbox: Sandbox,
    required: Sequence[str] = (),
    preparation: Callable[[], object] | None = None,
) -> None:
    """Grade with `sandbox`, and load the judge while its server warms up, and the feedback
    pages (matplotlib), which each record's page is drawn with (the server takes longer than
    the judge): `JUDGE_MODULES`, already loaded in a worker forked from a process that
    preloaded them (`grading.judge_workers`); then do the `preparation`, if any. A
    sandbox that cannot start, or that lacks a layer in `required`, and a judge with no checks
    to run, are reported by every task instead of killing the worker, so that nothing is
    graded with weaker isolation than required."""
    global _sandbox, _startup_error
    stop()
    _startup_error = None
    util.Finalize(None, sandbox.close, exitpriority=10)
    for module in JUDGE_MODULES:
        importlib.import_module(module)
    from autograder.judge.sandboxed import load_judge

    try:
        load_judge()
        if preparation is not None:
            _prepare(preparation)
        layers = sandbox.started()
    except (GraderFault, SandboxError) as error:
        sandbox.close()
        _startup_error = str(error)
        return
    if missing := [layer for layer in required if layer not in layers]:
        sandbox.close()
        _startup_error = (
            f"a grading worker's sandbox lacks {', '.join(missing)}, which this run requires, "
            "so it refuses to grade"
        )
        return
    _sandbox = sandbox


def _prepare(preparation: Callable[[], object]) -> None:
    """Do ahead what the first record's `after_each` would otherwise do first. If it fails,
    that `after_each` fails the same way and says so, in that student's record."""
    try:
        preparation()
    except Exception:  # said by `after_each`, which does it again
        return


def stop() -> None:
    """Close this worker's fork server, which kills whatever it still runs."""
    global _sandbox
    if _sandbox is not None:
        _sandbox.close()
        _sandbox = None


def _started_sandbox() -> Sandbox:
    if _sandbox is None:
        raise GraderFault(_startup_error or "the judge worker has no sandbox")
    return _sandbox


def facts() -> WorkerFacts:
    from autograder.judge.runner import hidden_checks

    return WorkerFacts(list(_started_sandbox().layers), hidden_checks())


def lesson_of(release: Path | bytes) -> Lesson:
    """The lesson of `release`, read in this worker's sandbox (`IllPosedLesson` if it cannot
    be graded)."""
    from autograder.intake.notebook import load_release
    from autograder.judge.lesson_reading import read_lesson

    try:
        return read_lesson(_started_sandbox(), load_release(release))
    except SandboxError as error:
        raise GraderFault(str(error)) from None


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
    (writing its feedback page, when grading a class); one record each. What the last chunk
    freed is given back first (`release_freed`), so a worker stays near its start-up size,
    and the garbage collector waits for the chunk's end (`collected_after`)."""
    from autograder.intake.notebook import load_release
    from autograder.judge.sandboxed import judge_submissions

    release_freed()
    with collected_after():
        sandbox = _started_sandbox()
        if setup.lesson is None:
            raise GraderFault("a chunk came to be graded before the lesson was read")
        submissions = [job.submission for job in chunk]
        release = load_release(setup.release)
        judged = judge_submissions(
            submissions, sandbox, release, setup.lesson, sandbox.limits, setup.seed
        )
        return [
            with_page(setup, stamped(finished, job, setup.grader_hash))
            for job, finished in zip(chunk, judged, strict=True)
        ]


def with_page(setup: GradingSetup, record: Record) -> Record:
    """The record after the setup's `after_each` (writing its feedback page), with the time
    that took; a failure there becomes the record's grader error."""
    from autograder.judge.status import grader_error

    if setup.after_each is None or setup.lesson is None:
        return record
    try:
        started = time.perf_counter()
        setup.after_each(record, setup.lesson)
    except Exception as error:
        return grader_error(record, "writing the feedback page", error)
    if record.timings is None:
        return record
    return record.with_(timings=replace(record.timings, page=time.perf_counter() - started))
