"""When the grader's own work (loading the writers) runs beside the grading: only when the
judge workers on this machine leave a core idle, so that a class on every core neither waits
for it nor holds its memory while grading."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.batch.cluster import ClusterRun
from autograder.batch.grading import SandboxSettings, _Pools, leaves_a_core
from autograder.batch.store import RecordStore
from autograder.batch.worker import GradingSetup, Job
from autograder.intake.submissions import Submission
from autograder.sandbox import Limits

CORES = len(os.sched_getaffinity(0))


def jobs(count: int) -> list[Job]:
    return [Job(Submission(f"s{n}", None, "no notebook"), "") for n in range(count)]


def pools(tmp_path: Path, workers: int) -> _Pools:
    sandbox = SandboxSettings(Limits.for_wall_clock(10), ())
    setup = GradingSetup(b"", 0, "")
    return _Pools(setup, sandbox, RecordStore(tmp_path), lambda n: None, lambda _: None, workers)


def cluster(tmp_path: Path, scheduler: str) -> ClusterRun:
    sandbox = SandboxSettings(Limits.for_wall_clock(10), ())
    setup = GradingSetup(b"", 0, "")
    store = RecordStore(tmp_path)
    return ClusterRun(setup, sandbox, store, lambda n: None, lambda _: None, scheduler)


def test_a_class_on_every_core_leaves_none(tmp_path: Path) -> None:
    assert not leaves_a_core(pools(tmp_path, CORES).local_workers(jobs(300)))
    assert not leaves_a_core(cluster(tmp_path, f"local:{CORES}").local_workers(jobs(300)))


def test_one_changed_notebook_leaves_a_core_unless_there_is_only_one(tmp_path: Path) -> None:
    assert leaves_a_core(pools(tmp_path, CORES).local_workers(jobs(1))) is (CORES > 1)


def test_a_remote_cluster_leaves_every_core(tmp_path: Path) -> None:
    assert cluster(tmp_path, "tcp://10.0.0.1:8786").local_workers(jobs(10_000)) == 0
    assert leaves_a_core(0)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # read, never written
@given(count=st.integers(1, 400), workers=st.integers(1, 16))
def test_a_pool_counts_the_workers_it_starts(tmp_path: Path, count: int, workers: int) -> None:
    """As many as asked for, never more than the jobs need (one each at least)."""
    assert pools(tmp_path, workers).local_workers(jobs(count)) == min(workers, count)
