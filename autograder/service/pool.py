"""The judge workers of the service: started once and kept warm for as long as it runs.

They are `grade`'s own judge workers (`batch.worker`: a fork server each, the same sandbox and
checks), held in one process pool for the life of the service instead of one per batch, since
starting one costs seconds. A worker that dies breaks the pool: a new one is started, and the
chunks it held are graded again one student at a time; a student whose grading kills a worker
twice gets a `grader_error` record (`grading.worker_died`). SIGKILL gives the service no
chance to end its workers, so each asks the kernel to kill it when the service dies.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from autograder.batch import worker
from autograder.batch.grading import SandboxSettings, sigint_held, stop_pool
from autograder.batch.worker import GradingSetup, Job, WorkerFacts
from autograder.judge.confinement import UNTIL_STOPPED
from autograder.judge.fault import GraderFault
from autograder.judge.record import Record
from autograder.sandbox import Limits, linux


def die_with(service: int) -> None:
    """Have the kernel kill this child of the service's process when the service dies."""
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != service:  # the service died before the kernel was asked
        os._exit(1)


def start_worker(
    limits: Limits, hidden: tuple[Path, ...], cells: tuple[str, ...], service: int
) -> None:
    """Start a judge worker (`worker.start`) that dies with the service's process."""
    die_with(service)
    worker.start(limits, hidden, UNTIL_STOPPED, cells)


class WorkerDied(BrokenProcessPool):
    """The workers grading one chunk died `deaths` times, and their pool gave up on it."""

    def __init__(self, message: str, deaths: int) -> None:
        super().__init__(message)
        self.deaths = deaths


class Judges(Protocol):
    """What the service grades with: this machine's `JudgePool`, or a Dask cluster's
    (`dask_pool.DaskJudgePool`). A chunk whose worker died fails with `BrokenProcessPool`
    (`WorkerDied` when it stands for more than one death)."""

    setup: GradingSetup
    facts: WorkerFacts | None
    one_death_ends_all: bool  # whether every other running chunk failed with it

    @property
    def workers(self) -> int: ...  # how many chunks are graded at once

    def start(self) -> None: ...

    def grade(self, jobs: list[Job]) -> Future[list[Record]]: ...

    def restart(self) -> None: ...

    def close(self) -> None: ...


class JudgePool:
    """A pool of warm judge workers that grades chunks of jobs as they are handed to it."""

    one_death_ends_all = True  # a worker that dies breaks the whole pool

    def __init__(self, setup: GradingSetup, sandbox: SandboxSettings, workers: int) -> None:
        self.setup = setup
        self.sandbox = sandbox
        self.workers = workers
        self.facts: WorkerFacts | None = None
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the workers and wait until one has its sandbox; the lesson is read from the
        release there unless `setup` holds it (`IllPosedLesson` when it cannot be graded)."""
        pool = self._fresh()
        try:
            with sigint_held():
                facts = pool.submit(worker.facts)
                lesson = (
                    None if self.setup.lesson else pool.submit(worker.lesson_of, self.setup.release)
                )
            if lesson is not None:
                self.setup = replace(self.setup, lesson=lesson.result())
            self.facts = facts.result()
        except BrokenProcessPool:
            raise GraderFault("a judge worker died while starting its sandbox") from None

    def grade(self, jobs: list[Job]) -> Future[list[Record]]:
        """Grade `jobs` in one worker; the future's records are in the jobs' order. A pool
        whose worker died while it had nothing to grade is replaced first."""
        with sigint_held():  # a submit may start a worker
            try:
                return self._current().submit(worker.grade_chunk, self.setup, jobs)
            except BrokenProcessPool:
                self.restart()
                return self._current().submit(worker.grade_chunk, self.setup, jobs)

    def restart(self) -> None:
        """Replace a pool a dead worker broke (its other chunks failed with it); the new
        workers start warming up now, not when the next submission arrives."""
        if self._pool is not None:
            stop_pool(self._pool)
        with sigint_held():
            self._fresh().submit(worker.facts)

    def close(self) -> None:
        """End every worker now; each one's fork server kills its students and exits."""
        if self._pool is not None:
            stop_pool(self._pool)
            self._pool = None

    def _current(self) -> ProcessPoolExecutor:
        return self._pool or self._fresh()

    def _fresh(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        settings = (self.sandbox.limits, self.sandbox.hidden, self.sandbox.cells, os.getpid())
        self._pool = ProcessPoolExecutor(self.workers, context, start_worker, settings)
        return self._pool
