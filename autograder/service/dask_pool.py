"""The service's judge workers on a Dask cluster (`serve --scheduler`): `grade`'s cluster
workers (`batch.cluster`), connected to once and kept for as long as the service runs.

Each chunk is one Dask task, handed over as notebook bytes, whose records come back as JSON;
the service writes every page, gradebook row and record itself. Dask runs again elsewhere a
chunk whose worker died, and gives up on it (`KilledWorker`) after the scheduler's
`allowed-failures`: the chunk's future then fails with `WorkerDied`, and the service grades
its students again one at a time, as it does when a local worker dies; a student graded alone
whose chunk Dask gave up on has killed workers often enough for a grader error. Unlike a local
pool, one death leaves every other chunk running.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future, InvalidStateError

import distributed
from distributed.scheduler import KilledWorker

from autograder.batch.cluster import (
    carried,
    connected,
    deaths_to_give_up,
    graded_as_json,
    local_layers,
    start_workers,
)
from autograder.batch.grading import SandboxSettings
from autograder.batch.worker import GradingSetup, Job, WorkerFacts
from autograder.judge.record import Record
from autograder.service.pool import WorkerDied


class DaskJudgePool:
    """The cluster's workers, graded on as `JudgePool`'s are (see `pool.Judges`)."""

    one_death_ends_all = False  # Dask grades every other chunk on

    def __init__(self, setup: GradingSetup, sandbox: SandboxSettings, scheduler: str) -> None:
        self.setup = setup
        self.sandbox = sandbox
        self.scheduler = scheduler
        self.facts: WorkerFacts | None = None
        self._client: distributed.Client | None = None
        self._remote: GradingSetup | None = None
        self._deaths = 1  # how many times a chunk's workers died when Dask gives up on it
        self._tasks: dict[Future[list[Record]], distributed.Future] = {}  # kept: not cancelled
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()

    @property
    def workers(self) -> int:
        """How many chunks the cluster grades at once now: its workers' threads."""
        assert self._client is not None
        return max(1, sum(self._client.nthreads().values()))

    def start(self) -> None:
        """Connect, start every worker's sandbox with this machine's layers, and read the
        lesson on the cluster unless `setup` holds it."""
        required = local_layers(self.sandbox)
        self._client = self._stack.enter_context(connected(self.scheduler))
        self.setup, self._remote, facts = start_workers(
            self._client, self.scheduler, self.setup, self.sandbox, required
        )
        self.facts = facts.result()
        self._deaths = deaths_to_give_up(self._client)

    def grade(self, jobs: list[Job]) -> Future[list[Record]]:
        """Grade `jobs` as one task; the future's records are in the jobs' order."""
        assert self._client is not None and self._remote is not None
        task = self._client.submit(
            graded_as_json, self._remote, [carried(job) for job in jobs], pure=False
        )
        records: Future[list[Record]] = Future()
        with self._lock:
            self._tasks[records] = task
        task.add_done_callback(lambda done: self._finished(done, records))
        return records

    def _finished(self, task: distributed.Future, records: Future[list[Record]]) -> None:
        """Pass a task's outcome to its future (in Dask's callback thread)."""
        with self._lock:
            self._tasks.pop(records, None)
        try:
            try:
                records.set_result([Record.from_json(raw) for raw in task.result()])
            except KilledWorker as killed:
                died = WorkerDied(f"Dask gave up on the chunk: {killed}", self._deaths)
                records.set_exception(died)
            except BaseException as error:  # the task's own error, for the service to judge
                records.set_exception(error)
        except InvalidStateError:  # the service let go of this future already
            pass

    def restart(self) -> None:
        """Nothing to do: Dask's nannies replace a worker that died."""

    def close(self) -> None:
        """Cancel what is still graded and disconnect (ending a cluster started here)."""
        with self._lock:
            tasks = list(self._tasks.values())
            self._tasks.clear()
        if self._client is not None and tasks:
            self._client.cancel(tasks)
        self._stack.close()
        self._client = None
