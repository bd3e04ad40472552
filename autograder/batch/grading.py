"""Grading a whole class: judge processes on every core, one sandboxed process per submission.

Each judge worker is a fresh process, forked from one that has loaded the judge
(`judge_workers`); the workers share one fork server for their students (`shared_sandbox`)
and run the hidden checks with one pytest session per chunk of submissions. Records come back
to this process, which writes each atomically as soon as its chunk is done. Nothing here runs
student code.

Whatever goes wrong while handling one submission stays with that submission: it becomes the
student's row (status `grader_error`, with what failed), and the batch goes on. A judge worker
that dies takes no record with it: its chunk runs again, one student at a time, and a student
whose grading kills a worker twice is recorded as a grader error.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Protocol

from autograder.atomic import input_version
from autograder.batch import worker
from autograder.batch.graded_from import GradedFrom
from autograder.batch.store import RecordStore
from autograder.batch.worker import GradingSetup, Job, WorkerFacts, stamped
from autograder.intake.notebook import load_release, release_bytes
from autograder.intake.submissions import Submission
from autograder.judge.confinement import student_sandbox
from autograder.judge.fault import GraderFault
from autograder.judge.record import CheckSpec, Record, RecordError, max_score
from autograder.judge.status import grader_error, unscored
from autograder.lesson import Lesson
from autograder.sandbox import Limits, SandboxShare

_MAX_CHUNK = 25
# The judge workers' fork server listens at <temp folder>/pymp-XXXXXXXX/listener-XXXXXXXX
# (multiprocessing's names, 32 bytes), and a Unix socket's path holds at most 107 bytes.
_LONGEST_TEMP_FOLDER = 107 - len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def release_hash(release: Path | bytes) -> str:
    """The release's own hash: the lesson read from it is the same while it is the same."""
    return hashlib.sha256(release_bytes(release)).hexdigest()


def grader_hash(release: Path | bytes) -> str:
    """The grader's own version: its code and the release (its file, or its bytes) whose
    read-only cells it runs. A record graded by another version is graded again."""
    package = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    digest.update(release_bytes(release))
    return digest.hexdigest()


@dataclass(frozen=True)
class BatchRun:
    new: int  # graded for the first time
    regraded: int  # graded again: changed, failed on last time, or --force
    unchanged: int  # recorded already, with the same notebook and grader: skipped
    seconds: float
    isolation: list[str]
    checks: tuple[CheckSpec, ...] = ()  # the hidden checks, as the workers ran them
    interrupted: bool = False
    lesson: Lesson | None = None  # the lesson the run graded against (None: nothing graded)
    reasons: tuple[tuple[str, int], ...] = ()  # why submissions were graded again, how many


def jobs_for(
    submissions: list[Submission],
    store: RecordStore,
    setup: GradingSetup,
    force: bool,
    graded_from: GradedFrom,
) -> tuple[list[Job], int]:
    """(what to grade, how many are unchanged): new and changed submissions, or all of them
    with `force`; each one graded again says why. A student whose notebook and record are
    the versions `graded_from` noted is unchanged without reading either."""
    release = release_hash(setup.release)
    jobs, unchanged = [], 0
    for submission in submissions:
        student = submission.student
        version = notebook_version(submission)  # before the hash, so it never postdates it
        if not force and graded_from.unchanged(student, version, store.record_file(student)):
            unchanged += 1
            continue
        notebook = submission.content_hash()
        if not store.has(student):
            jobs.append(Job(submission, notebook, notebook_version=version))
            continue
        try:
            earlier = store.row(student)
        except RecordError:
            reason = "its earlier record could not be read back"
        else:
            reason = "graded again on request (--force)" if force else None
            reason = reason or why_graded_again(earlier, notebook, release, setup.grader_hash)
        if reason is None:
            unchanged += 1
            graded_from.note(student, version, store.record_file(student))
            continue
        jobs.append(Job(submission, notebook, reason, version))
    return jobs, unchanged


def notebook_version(submission: Submission) -> list[int] | None:
    """The version of the file a submission's notebook is in (None: it is not in a file)."""
    if isinstance(submission.notebook, Path):
        return input_version(submission.notebook)
    return None


def why_graded_again(earlier: Record, notebook: str, release: str, grader: str) -> str | None:
    """Why a student whose stored record is `earlier` is graded again, now that their
    notebook hashes as `notebook`; None when the record is this very notebook's verdict by
    this release and grader."""
    if not earlier.notebook_hash:
        return "its earlier record came from an older version of the grader"
    if earlier.notebook_hash != notebook:
        return "the notebook changed since it was last graded"
    if earlier.release_hash != release:
        return "the lesson's notebook (the release) changed since it was last graded"
    if earlier.grader_hash != grader:
        return "the grader changed since the notebook was last graded"
    if not earlier.is_verdict:
        return "the grader failed on it when it was last graded"
    return None


def note_graded(
    jobs: list[Job], store: RecordStore, setup: GradingSetup, notes: GradedFrom
) -> None:
    """Note the notebook each job's student now has a record of (none for a job whose record
    was not written: the run was stopped first)."""
    release = release_hash(setup.release)
    for job in jobs:
        student = job.submission.student
        try:
            current = (
                why_graded_again(store.row(student), job.notebook_hash, release, setup.grader_hash)
                is None
            )
        except RecordError:
            current = False
        version = job.notebook_version if job.notebook_version is not None else settled(job)
        notes.note(student, version if current else None, store.record_file(student))


def settled(job: Job) -> list[int] | None:
    """The version of a job's notebook that was still settling when it was hashed, if it has
    settled since and still holds what was graded (read again to know; the version is taken
    first, so it never postdates what is read); else None. A class graded right after its
    notebooks were written is then noted by its first run, not by the one after."""
    version = notebook_version(job.submission)
    if version is None or job.submission.content_hash() != job.notebook_hash:
        return None
    return version


def chunks_for(items: list[Job], workers: int) -> list[list[Job]]:
    """Chunks that shrink as the batch goes on (a quarter of each worker's share of what is
    left, at most 25): big ones pay pytest's session cost rarely, small ones at the end
    keep one slow submission from holding a whole chunk back while the other workers idle."""
    chunks, start = [], 0
    while start < len(items):
        size = min(_MAX_CHUNK, max(1, (len(items) - start) // (workers * 4)))
        chunks.append(items[start : start + size])
        start += size
    return chunks


def grade_all(
    submissions: list[Submission],
    store: RecordStore,
    setup: GradingSetup,
    sandbox: SandboxSettings,
    workers: int,
    force: bool,
    advance: Callable[[int], None],
    scheduler: str | None = None,
    on_lesson: Callable[[Lesson], None] | None = None,
    while_grading: Callable[[frozenset[str]], None] | None = None,
) -> BatchRun:
    """Grade what is new or changed (everything with `force`), recording as chunks finish,
    in local judge workers or, given a `scheduler`, on a Dask cluster. Before the first
    chunk, the lesson is read from the release (unless `setup` holds it already); a lesson
    that cannot be graded stops the run there (`IllPosedLesson`), before anything is written;
    `on_lesson` is told the lesson before the first record is; `while_grading` is called once
    there is something to grade, before it starts, with the students to be graded, when the
    grading leaves this machine a core (`leaves_a_core`), so that the caller's work there
    costs the grading nothing.
    Ctrl-C stops the workers and their sandboxes; every record written so far is kept."""
    started = time.monotonic()
    graded_from = GradedFrom.of(store.out_dir, setup.grader_hash, release_hash(setup.release))
    jobs, unchanged = jobs_for(submissions, store, setup, force, graded_from)
    advance(unchanged)
    regraded = sum(1 for job in jobs if job.regraded)
    told = on_lesson or (lambda lesson: None)
    if scheduler is None:
        runner: _Runner = _Pools(setup, sandbox, store, advance, told, workers)
    else:
        from autograder.batch.cluster import ClusterRun

        runner = ClusterRun(setup, sandbox, store, advance, told, scheduler)
    interrupted = False
    if jobs:
        if while_grading is not None and leaves_a_core(runner.local_workers(jobs)):
            while_grading(frozenset(job.submission.student for job in jobs))
        try:
            runner.run(jobs)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            note_graded(jobs, store, runner.setup, graded_from)
    graded_from.save()
    seconds = time.monotonic() - started
    facts = runner.facts or WorkerFacts([], ())
    return BatchRun(
        len(jobs) - regraded,
        regraded,
        unchanged,
        seconds,
        facts.isolation,
        facts.checks,
        interrupted,
        runner.setup.lesson,
        tuple(Counter(job.regraded for job in jobs if job.regraded).most_common()),
    )


def leaves_a_core(local_workers: int) -> bool:
    """Whether `local_workers` judge workers grading on this machine leave a core idle. Each
    keeps a core busy (its judge and the student processes it waits for take turns); what
    runs beside them on a busy machine takes their time and adds its memory to theirs."""
    return local_workers < len(os.sched_getaffinity(0))


@dataclass(frozen=True)
class SandboxSettings:
    """What each worker's fork server is started with."""

    limits: Limits
    hidden: tuple[Path, ...]  # paths no student process may see, besides the grader's own
    cells: tuple[str, ...] = ()  # learned by the fork server (see `student_sandbox`)

    @classmethod
    def for_release(
        cls, limits: Limits, hidden: tuple[Path, ...], release: Path | bytes
    ) -> SandboxSettings:
        """Settings whose fork servers learn the release's read-only cells."""
        return cls(limits, hidden, load_release(release).read_only_sources)


class _Runner(Protocol):
    """Where the chunks of a batch are graded; `facts` come from the first worker, and
    `setup` holds the lesson once it is read."""

    facts: WorkerFacts | None
    setup: GradingSetup

    def local_workers(self, jobs: list[Job]) -> int:
        """How many judge workers grade `jobs` on this machine."""
        ...

    def run(self, jobs: list[Job]) -> None: ...


def worker_died(job: Job, setup: GradingSetup, facts: WorkerFacts | None, times: int) -> Record:
    """The record of a student whose grading killed the judge worker `times` times."""
    most = max_score(facts.checks) if facts else 0.0
    died = grader_error(unscored(job.submission.student, most), "grading", _WorkerDied(times))
    return stamped(died, job, setup.grader_hash)


@dataclass
class _Pools:
    """Pools of judge workers for one batch, each chunk's records written as it finishes."""

    setup: GradingSetup
    sandbox: SandboxSettings
    store: RecordStore
    advance: Callable[[int], None]
    on_lesson: Callable[[Lesson], None]
    workers: int
    facts: WorkerFacts | None = field(default=None)  # from the first worker that started

    def local_workers(self, jobs: list[Job]) -> int:
        return _pool_size(chunks_for(jobs, self.workers), self.workers)

    def run(self, jobs: list[Job]) -> None:
        """Run every chunk. When a worker dies, the unfinished chunks run again one student
        per chunk; if a worker dies again, each remaining student runs alone in a fresh
        worker, so that only the student whose grading kills a worker gets a grader error."""
        if self.setup.lesson is not None:
            self.on_lesson(self.setup.lesson)
        broken = self._in_pool(chunks_for(jobs, self.workers), self.workers)
        if broken:
            singles = [[job] for chunk in broken for job in chunk]
            broken = self._in_pool(singles, self.workers)
        for chunk in broken:
            still_broken = self._in_pool([chunk], 1)
            for job in (job for failed in still_broken for job in failed):
                self.store.write(worker_died(job, self.setup, self.facts, 2))
                self.advance(1)

    def _in_pool(self, chunks: list[list[Job]], workers: int) -> list[list[Job]]:
        """The chunks that did not finish because a worker died."""
        release = self.setup.release
        broken: list[list[Job]] = []
        size = _pool_size(chunks, workers)
        launches = sum(len(chunk) for chunk in chunks)
        with (
            shared_sandbox(self.sandbox, launches) as share,
            ProcessPoolExecutor(
                size,
                judge_workers(),
                worker.start_joined,
                (share, launches, self.setup.preparation),
            ) as pool,
        ):
            try:
                with sigint_held():  # every submit may spawn a worker
                    first = pool.submit(worker.facts)
                    lesson = None if self.setup.lesson else pool.submit(worker.lesson_of, release)
                if lesson is not None:
                    self.setup = replace(self.setup, lesson=lesson.result())
                    self.on_lesson(self.setup.lesson)
                with sigint_held():
                    running = {
                        pool.submit(worker.grade_chunk, self.setup, chunk): chunk
                        for chunk in chunks
                    }
                self.facts = self.facts or first.result()
                self._collect(running, broken)
            except BrokenProcessPool:
                raise GraderFault("a judge worker died while starting its sandbox") from None
            except KeyboardInterrupt:
                stop_pool(pool)
                raise
        return broken

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


@contextlib.contextmanager
def shared_sandbox(settings: SandboxSettings, launches: int) -> Iterator[SandboxShare]:
    """A fork server for a pool's workers to share (`worker.start_joined`), so that a run
    warms torch up once, not once per worker; it is closed once the pool has ended."""
    with student_sandbox(settings.limits, settings.hidden, launches, settings.cells) as sandbox:
        share = sandbox.share()
        with contextlib.closing(share.control):
            yield share


def judge_workers() -> BaseContext:
    """How judge workers start: forked from one process that has loaded the judge and the
    feedback pages (multiprocessing's fork server, preloading `worker.JUDGE_MODULES`), so a
    run pays for those imports once, not once per worker, and its workers share the pages
    they loaded. That process loads nothing of the grader's state; a worker is still a fresh
    process to the grader. It listens on a socket in the temp folder, whose path must fit a
    Unix socket's: a longer one is refused here, in one line, rather than by a traceback
    from the first worker's start."""
    temp = tempfile.gettempdir()
    if len(os.fsencode(temp)) > _LONGEST_TEMP_FOLDER:
        raise GraderFault(
            f"the temp folder {temp} has too long a path for the socket the judge workers "
            f"start from (at most {_LONGEST_TEMP_FOLDER} bytes); set TMPDIR to a shorter one"
        )
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(worker.JUDGE_MODULES))
    return context


def _pool_size(chunks: list[list[Job]], workers: int) -> int:
    """How many of `workers` a pool starts for `chunks`: no more than there are chunks."""
    return min(workers, len(chunks))


class _WorkerDied(RuntimeError):
    def __init__(self, times: int) -> None:
        super().__init__(times)
        self.times = times

    def __str__(self) -> str:
        return f"the judge worker grading it died, {self.times} times"


@contextlib.contextmanager
def sigint_held() -> Iterator[None]:
    """Ignore Ctrl-C while worker processes are spawned: a new Python process keeps ignoring
    a signal it inherits ignored, so a Ctrl-C never interrupts a worker still importing."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End the judge workers now; each one's fork server then kills its students and exits.
    (The executor keeps its processes private; nothing public ends them at once.)"""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError):
            process.kill()
