"""Grading a class on a Dask cluster: the same judge workers, run by Dask instead of a pool.

Each Dask worker starts its own fork server once (`SandboxPlugin`) and grades chunks with the
same `worker.grade_chunk` as a local judge worker; no student code runs in a Dask worker's own
process. A worker may be on another machine, so submissions travel as notebook bytes, the
release as its bytes, and records come back as their JSON form; this process writes every
record and feedback page. A worker whose sandbox lacks a layer this machine's own sandbox has
refuses to grade, and the run stops.

A worker that dies takes no record with it: Dask runs its chunks again elsewhere. A chunk
that kills more workers than the scheduler's `allowed-failures` is split into one chunk per
student, and a student whose own chunk does that is recorded as a grader error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Future, LocalCluster, WorkerPlugin, as_completed
from distributed.scheduler import KilledWorker

from autograder.batch import worker
from autograder.batch.grading import (
    SandboxSettings,
    chunks_for,
    grader_hash,
    release_hash,
    sigint_held,
    worker_died,
)
from autograder.batch.store import RecordStore
from autograder.batch.worker import (
    GradingSetup,
    Job,
    WorkerFacts,
    ignore_ctrl_c,
    start_sandbox,
    stop,
)
from autograder.intake.notebook import InvalidNotebook, notebook_bytes, release_bytes
from autograder.judge.confinement import UNTIL_STOPPED, student_sandbox
from autograder.judge.fault import GraderFault
from autograder.judge.record import Record
from autograder.lesson import Lesson
from autograder.sandbox import SandboxError
from autograder.usage import UsageError

LOCAL = "local:"  # `--scheduler local:N`: a LocalCluster of N worker processes on this machine
ALLOWED_FAILURES = 1  # worker deaths a task survives on a cluster this process starts
# The scheduler settings of a cluster this process starts: a task survives one worker death,
# and a worker holds only the chunk it grades, so that a death is counted against that chunk
# alone and never against one merely queued behind it.
LOCAL_CLUSTER_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    "distributed.scheduler.worker-saturation": 1.0,
}
_WORKER_WAIT_SECONDS = 120
_CONNECT_SECONDS = 30


def local_workers(scheduler: str) -> int | None:
    """N for `local:N`, None for the address of an existing scheduler; `UsageError` for a
    `local:` without a whole number of workers of at least 1."""
    if not scheduler.startswith(LOCAL):
        return None
    count = scheduler.removeprefix(LOCAL)
    if not (count.isascii() and count.isdigit()) or int(count) < 1:
        raise UsageError(
            f"--scheduler local:N needs a number of workers N of at least 1, not {count!r}"
        )
    return int(count)


class SandboxPlugin(WorkerPlugin):
    """Starts each Dask worker's fork server once, requiring the layers in `required`."""

    name = "autograder-sandbox"

    def __init__(self, sandbox: SandboxSettings, required: tuple[str, ...]) -> None:
        self.sandbox = sandbox
        self.required = required

    def setup(self, worker: Any) -> None:
        ignore_ctrl_c()
        sandbox = self.sandbox
        start_sandbox(sandbox.limits, sandbox.hidden, UNTIL_STOPPED, self.required, sandbox.cells)

    def teardown(self, worker: Any) -> None:
        stop()


def carried(job: Job) -> Job:
    """The job with its notebook's bytes in place of its path, since a worker may not share
    this machine's files; a file that cannot be read carries the reason instead, which
    grading records exactly as it would have from the path."""
    notebook = job.submission.notebook
    if not isinstance(notebook, Path):
        return job
    try:
        data: bytes | None = notebook_bytes(notebook)
        problem = ""
    except InvalidNotebook as error:
        data, problem = None, str(error)
    return replace(job, submission=replace(job.submission, notebook=data, problem=problem))


def graded_as_json(setup: GradingSetup, chunk: list[Job]) -> list[dict[str, Any]]:
    """A Dask task: grade a chunk in this worker, the records in their JSON form."""
    if not _same_grader(setup.release, setup.grader_hash):
        raise GraderFault(
            "a Dask worker runs another version of the grader than the machine that started "
            "the run; install the same version everywhere"
        )
    if setup.lesson is None or setup.lesson.release_hash != release_hash(setup.release):
        raise GraderFault(
            "a Dask worker was handed a lesson read from another release than the one it "
            "grades with; it refuses to grade"
        )
    return [record.to_json() for record in worker.grade_chunk(setup, chunk)]


@cache
def _same_grader(release: Path | bytes, expected: str) -> bool:
    return grader_hash(release) == expected


@contextlib.contextmanager
def connected(scheduler: str) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, or of a LocalCluster for `local:N`; both
    closed however the run ends, Ctrl-C included."""
    workers = local_workers(scheduler)
    with contextlib.ExitStack() as stack:
        if workers is None:
            try:
                client = Client(scheduler, timeout=_CONNECT_SECONDS)
            except (OSError, ValueError, TypeError) as error:
                raise UsageError(
                    f"cannot reach the Dask scheduler at {scheduler}: {error}"
                ) from None
        else:
            with dask.config.set(LOCAL_CLUSTER_CONFIG), sigint_held():  # Ctrl-C is ours
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                )
            client = Client(cluster)
        stack.enter_context(client)
        print(f"Dask dashboard: {client.dashboard_link}", flush=True)
        yield client


@dataclass
class ClusterRun:
    """One batch on a Dask cluster, each chunk's records written here as it finishes."""

    setup: GradingSetup
    sandbox: SandboxSettings
    store: RecordStore
    advance: Callable[[int], None]
    on_lesson: Callable[[Lesson], None]
    scheduler: str
    required: tuple[str, ...] | None = None  # None: the layers of this machine's own sandbox
    facts: WorkerFacts | None = field(default=None)  # from the first worker that started

    def local_workers(self, jobs: list[Job]) -> int:
        """A `local:N` cluster's N (each worker may take a chunk); none for a scheduler's."""
        return min(local_workers(self.scheduler) or 0, len(jobs))

    def run(self, jobs: list[Job]) -> None:
        required = self.required if self.required is not None else local_layers(self.sandbox)
        with connected(self.scheduler) as client:
            self.setup, remote, first = start_workers(
                client, self.scheduler, self.setup, self.sandbox, required
            )
            self.on_lesson(self.setup.lesson)
            slots = sum(client.nthreads().values())
            running = {
                client.submit(
                    graded_as_json, remote, [carried(j) for j in chunk], pure=False
                ): chunk
                for chunk in chunks_for(jobs, slots)
            }
            self.facts = first.result()
            deaths = deaths_to_give_up(client)
            self._collect(client, remote, running, deaths)

    def _collect(
        self,
        client: Client,
        remote: GradingSetup,
        running: dict[Future, list[Job]],
        deaths: int,
    ) -> None:
        """Write each chunk's records as it finishes; a chunk that killed `deaths` workers
        runs again one student per chunk, and a student alone that did is a grader error."""
        finished = as_completed(running)
        for future in finished:
            chunk = running.pop(future)
            try:
                raw = future.result()
            except KilledWorker:
                if len(chunk) == 1:
                    self.store.write(worker_died(chunk[0], self.setup, self.facts, deaths))
                    self.advance(1)
                    continue
                for job in chunk:
                    single = client.submit(graded_as_json, remote, [carried(job)], pure=False)
                    running[single] = [job]
                    finished.add(single)
                continue
            for record in raw:
                self.store.write(worker.with_page(self.setup, Record.from_json(record)))
            self.advance(len(raw))


def local_layers(sandbox: SandboxSettings) -> tuple[str, ...]:
    """The layers this machine's own sandbox gets: what every worker's must have."""
    with student_sandbox(sandbox.limits, sandbox.hidden, launches=0) as probe:
        try:
            return tuple(probe.started())
        except SandboxError as error:
            raise GraderFault(
                f"this machine's own sandbox did not start, so the isolation workers need is "
                f"unknown: {error}"
            ) from None


def start_workers(
    client: Client,
    scheduler: str,
    setup: GradingSetup,
    sandbox: SandboxSettings,
    required: tuple[str, ...],
) -> tuple[GradingSetup, GradingSetup, Future]:
    """Have every worker start its sandbox with the layers in `required`, wait for the first
    one, and read the lesson there unless `setup` holds it. Returns the setup with its
    lesson, the setup a task carries (the release as bytes, no page writing: this process
    writes the pages) and the future of the first worker's `WorkerFacts`."""
    client.register_plugin(SandboxPlugin(sandbox, required))
    _wait_for_workers(client, scheduler)
    facts = client.submit(worker.facts, pure=False)
    release = release_bytes(setup.release)
    if setup.lesson is None:
        lesson = client.submit(worker.lesson_of, release, pure=False).result()
        setup = replace(setup, lesson=lesson)
    return setup, replace(setup, release=release, after_each=None), facts


def _wait_for_workers(client: Client, scheduler: str) -> None:
    try:
        client.wait_for_workers(1, timeout=_WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise GraderFault(
            f"no Dask worker joined the scheduler at {scheduler} within {_WORKER_WAIT_SECONDS} s"
        ) from None


def deaths_to_give_up(client: Client) -> int:
    """How many worker deaths make the scheduler give up on a task (`KilledWorker`): one
    more than its `allowed-failures`."""
    return client.run_on_scheduler(_allowed_failures) + 1


def _allowed_failures(dask_scheduler: Any) -> int:
    return int(dask_scheduler.allowed_failures)
