"""Grading a whole class: judge processes on every core, one sandboxed process per submission.

Each judge worker is a fresh (spawned) process that starts its own fork server and runs the
hidden checks with one pytest session per chunk of submissions. Records come back to this
process, which writes each atomically as soon as its chunk is done. Nothing here runs student
code.

Whatever goes wrong while handling one submission stays with that submission: it becomes the
student's row (status `grader_error`, with what failed), and the batch goes on. A judge worker
that dies takes no record with it: its chunk runs again, one student at a time, and a student
whose grading kills a worker twice is recorded as a grader error.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing import util
from pathlib import Path

from autograder.batch.store import RecordStore
from autograder.intake.notebook import load_release
from autograder.intake.submissions import Submission
from autograder.judge.record import Record, RecordError
from autograder.judge.runner import GraderFault
from autograder.judge.sandboxed import STUDENT_ENTRY, judge_submissions
from autograder.judge.status import grader_error
from autograder.sandbox import Limits, Sandbox, SandboxError


@dataclass(frozen=True)
class GradingSetup:
    """Everything a judge worker needs to grade like every other: one value, sent once."""

    limits: Limits
    hidden: tuple[Path, ...]  # paths no student process may see
    release: Path  # the trusted release notebook whose read-only cells run
    seed: int  # of this run's hidden inputs
    grader_hash: str  # the grader's own version (see `grader_hash`)
    after_each: Callable[[Record], object] | None = None  # run on each record in the worker


_setup: GradingSetup | None = None
_sandbox: Sandbox | None = None
_startup_error: str | None = None


def _start_worker(setup: GradingSetup) -> None:
    """Set up a judge worker; a sandbox that cannot start is reported by the first task."""
    global _setup, _sandbox, _startup_error
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the grader's main process
    _setup = setup
    try:
        _sandbox = Sandbox(setup.limits, list(setup.hidden), entry=STUDENT_ENTRY)
    except SandboxError as error:
        _startup_error = str(error)
        return
    util.Finalize(None, _sandbox.close, exitpriority=10)


@dataclass(frozen=True)
class Job:
    """One submission to grade, with what its record must say about why it is graded."""

    submission: Submission
    notebook_hash: str
    regraded: str = ""  # why it is graded again; "" the first time


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


def grader_hash(release: Path) -> str:
    """The grader's own version: its code and the release whose read-only cells it runs.
    A record graded by another version is graded again."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(release.read_bytes())
    return digest.hexdigest()


def grade_chunk(chunk: Sequence[Job]) -> list[Record]:
    """Grade some submissions in this worker, each followed by the setup's `after_each`
    (writing its feedback page, when grading a class); one record each."""
    if _sandbox is None or _setup is None:
        raise GraderFault(_startup_error or "the judge worker has no sandbox")
    records = []
    release = load_release(_setup.release)
    submissions = [job.submission for job in chunk]
    judged = judge_submissions(submissions, _sandbox, release, _setup.limits, _setup.seed)
    for job, finished in zip(chunk, judged, strict=True):
        finished = stamped(finished, job, _setup.grader_hash)
        try:
            if _setup.after_each is not None:
                started = time.perf_counter()
                _setup.after_each(finished)
                if finished.timings is not None:
                    took = time.perf_counter() - started
                    finished = finished.with_(timings=replace(finished.timings, page=took))
        except Exception as error:
            finished = grader_error(finished.student, "writing the feedback page", error, finished)
        records.append(finished)
    return records


@dataclass(frozen=True)
class BatchRun:
    new: int  # graded for the first time
    regraded: int  # graded again: changed, or --force
    unchanged: int  # recorded already, with the same notebook and grader: skipped
    seconds: float
    isolation: list[str]
    interrupted: bool = False


def jobs_for(
    submissions: list[Submission], store: RecordStore, grader: str, force: bool
) -> tuple[list[Job], int]:
    """(what to grade, how many are unchanged): new and changed submissions, or all of them
    with `force`; each one graded again says why."""
    jobs, unchanged = [], 0
    for submission in submissions:
        notebook = submission.content_hash()
        if not store.has(submission.student):
            jobs.append(Job(submission, notebook))
            continue
        try:
            earlier = store.read(submission.student)
        except RecordError:
            jobs.append(Job(submission, notebook, "its earlier record could not be read back"))
            continue
        if force:
            reason = "graded again on request (--force)"
        elif not earlier.notebook_hash:
            reason = "its earlier record came from an older version of the grader"
        elif earlier.notebook_hash != notebook:
            reason = "the notebook changed since it was last graded"
        elif earlier.grader_hash != grader:
            reason = "the grader changed since the notebook was last graded"
        else:
            unchanged += 1
            continue
        jobs.append(Job(submission, notebook, reason))
    return jobs, unchanged


def _chunks(items: list[Job], workers: int) -> list[list[Job]]:
    size = max(1, min(25, len(items) // (workers * 4) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def grade_all(
    submissions: list[Submission],
    store: RecordStore,
    setup: GradingSetup,
    workers: int,
    force: bool,
    advance: Callable[[int], None],
) -> BatchRun:
    """Grade what is new or changed (everything with `force`), recording as chunks finish.
    Ctrl-C stops the workers and their sandboxes; every record written so far is kept."""
    started = time.monotonic()
    jobs, unchanged = jobs_for(submissions, store, setup.grader_hash, force)
    advance(unchanged)
    regraded = sum(1 for job in jobs if job.regraded)
    isolation: list[str] = []
    interrupted = False
    if jobs:
        try:
            isolation = _Pools(setup, store, advance).run(_chunks(jobs, workers), workers)
        except KeyboardInterrupt:
            interrupted = True
    seconds = time.monotonic() - started
    return BatchRun(len(jobs) - regraded, regraded, unchanged, seconds, isolation, interrupted)


@dataclass(frozen=True)
class _Pools:
    """Pools of judge workers for one batch, each chunk's records written as it finishes."""

    setup: GradingSetup
    store: RecordStore
    advance: Callable[[int], None]

    def run(self, chunks: list[list[Job]], workers: int) -> list[str]:
        """Run every chunk; return the isolation layers. When a worker dies, the unfinished
        chunks run again one student per chunk; if a worker dies again, each remaining
        student runs alone in a fresh worker, so that only the student whose grading kills a
        worker gets a grader error."""
        isolation, broken = self._in_pool(chunks, workers)
        if broken:
            _, broken = self._in_pool([[job] for chunk in broken for job in chunk], workers)
        for chunk in broken:
            _, still_broken = self._in_pool([chunk], 1)
            for job in (job for failed in still_broken for job in failed):
                died = grader_error(job.submission.student, "grading", _WorkerDied())
                self.store.write(stamped(died, job, self.setup.grader_hash))
                self.advance(1)
        return isolation

    def _in_pool(self, chunks: list[list[Job]], workers: int) -> tuple[list[str], list[list[Job]]]:
        """(isolation layers, chunks that did not finish because a worker died)."""
        context = multiprocessing.get_context("spawn")
        broken: list[list[Job]] = []
        size = min(workers, len(chunks))
        with ProcessPoolExecutor(size, context, _start_worker, (self.setup,)) as pool:
            try:
                with _sigint_held():  # every submit may spawn a worker
                    first = pool.submit(_isolation_layers)
                    running = {pool.submit(grade_chunk, chunk): chunk for chunk in chunks}
                isolation = first.result()
                self._collect(running, broken)
            except BrokenProcessPool:
                raise GraderFault("a judge worker died while starting its sandbox") from None
            except KeyboardInterrupt:
                _stop(pool)
                raise
        return isolation, broken

    def _collect(
        self, running: dict[Future[list[Record]], list[Job]], broken: list[list[Job]]
    ) -> None:
        """Write each chunk's records as it finishes; note the chunks a dead worker took."""
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = running.pop(future)
                try:
                    records = future.result()
                except BrokenProcessPool:
                    broken.append(chunk)
                    continue
                for finished in records:
                    self.store.write(finished)
                self.advance(len(records))


class _WorkerDied(RuntimeError):
    def __str__(self) -> str:
        return "the judge worker grading it died"


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes are spawned: a new Python process keeps ignoring
    a signal it inherits ignored, so a Ctrl-C never interrupts a worker still importing."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End the judge workers now; each one's fork server then kills its students and exits.
    (The executor keeps its processes private; nothing public ends them at once.)"""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError):
            process.kill()


def _isolation_layers() -> list[str]:
    if _sandbox is None:
        raise GraderFault(_startup_error or "the judge worker has no sandbox")
    return list(_sandbox.layers)
