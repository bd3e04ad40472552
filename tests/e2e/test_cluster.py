"""Grading on real Dask clusters: a LocalCluster of two worker processes, a worker killed
mid-batch, a student whose grading kills its worker, a worker that refuses weaker isolation or
finds no checks to run, and the README's hand-started `dask scheduler` and `dask worker`s."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dask
import psutil
import pytest
from distributed import Client, LocalCluster

from autograder.batch import worker
from autograder.batch.cluster import ALLOWED_FAILURES, LOCAL_CLUSTER_CONFIG, ClusterRun
from autograder.batch.graded_from import GradedFrom
from autograder.batch.grading import SandboxSettings, grader_hash, jobs_for
from autograder.batch.store import RecordStore
from autograder.batch.worker import GradingSetup
from autograder.intake.submissions import collect
from autograder.judge import sandboxed
from autograder.judge.fault import GraderFault
from autograder.sandbox import Limits
from tests.corpus.answers import CORRECT, WRONG
from tests.e2e.test_batch import grade
from tests.support.course import RELEASE, ROOT, kernel_env
from tests.support.dask_faults import ExitOnStudent
from tests.support.notebooks import notebook_for, write_submission

pytestmark = pytest.mark.slow
ANSWERS = CORRECT + WRONG
SEED = "20261125"
KILLER = "worker_killer"


@pytest.fixture(scope="module")
def submissions(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cluster") / "submissions"
    for answer in ANSWERS:
        write_submission(folder / f"{answer.name}.ipynb", notebook_for(answer))
    return folder


@pytest.fixture(scope="module")
def some(submissions: Path) -> Path:
    """Every third submission (correct answers and mistakes of each kind), for the runs whose
    point is a fault or a command rather than every answer's grade: the whole class is graded
    on a cluster, and compared, once."""
    folder = submissions.parent / "some"
    folder.mkdir()
    for answer in ANSWERS[::3]:
        name = f"{answer.name}.ipynb"
        (folder / name).write_bytes((submissions / name).read_bytes())
    return folder


def of(folder: Path, grades: dict[str, Any]) -> dict[str, Any]:
    """`grades` of the students in `folder`."""
    return {path.stem: grades[path.stem] for path in folder.glob("*.ipynb")}


@pytest.fixture(scope="module")
def local_grades(submissions: Path) -> dict[str, Any]:
    out = submissions.parent / "local"
    done = grade(str(submissions), "--out", str(out), "--seed", SEED)
    assert done.returncode == 0, done.stderr
    return grades_in(out)


def grades_in(out: Path) -> dict[str, Any]:
    """Each student's status, score and checks (with their mistakes), asserting that no student
    has two records or two rows."""
    grades: dict[str, Any] = {}
    for path in (out / "records").glob("*.json"):
        record = json.loads(path.read_text())
        assert record["student"] not in grades, f"{record['student']} has two records"
        grades[record["student"]] = (record["status"], record["score"], record["checks"])
    rows = json.loads((out / "results.json").read_text())["submissions"]
    assert sorted(row["student"] for row in rows) == sorted(grades)
    return grades


def local_cluster(workers: int) -> LocalCluster:
    """A cluster made here, so a test can reach its workers; the grader's own fault settings."""
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )


def fork_servers_of(out: Path) -> list[psutil.Process]:
    """Fork servers still running for the grading run writing to `out` (its folder is among
    the paths each one hides)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "autograder.sandbox.server" in command and str(out.resolve()) in command:
            found.append(process)
    return found


def no_fork_server_left(out: Path) -> bool:
    deadline = time.monotonic() + 30
    while fork_servers_of(out) and time.monotonic() < deadline:
        time.sleep(0.5)
    return not fork_servers_of(out)


def test_a_local_cluster_of_two_workers_grades_as_local_grading_does(
    submissions: Path, local_grades: dict[str, Any], tmp_path: Path
):
    out = tmp_path / "out"
    done = grade(str(submissions), "--out", str(out), "--seed", SEED, "--scheduler", "local:2")
    assert done.returncode == 0, done.stderr
    assert "Dask dashboard: http://" in done.stdout
    assert grades_in(out) == local_grades
    assert len(list((out / "feedback").glob("*.html"))) == len(ANSWERS)
    assert no_fork_server_left(out)


def test_a_worker_killed_mid_batch_loses_nothing(
    some: Path, local_grades: dict[str, Any], tmp_path: Path
):
    out = tmp_path / "out"
    log = (tmp_path / "grade.log").open("w")
    with local_cluster(2) as cluster, Client(cluster) as client:
        command = [sys.executable, "-m", "autograder", "grade", str(some), "--out"]
        command += [str(out), "--seed", SEED, "--scheduler", cluster.scheduler_address]
        grading = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        victim, recorded = kill_a_grading_worker(client, out, grading)
        assert grading.wait(timeout=900) == 0, (tmp_path / "grade.log").read_text()
        assert victim not in client.run(os.getpid).values()
    expected = of(some, local_grades)
    assert recorded < len(expected), "the worker was not killed mid-batch"
    assert grades_in(out) == expected
    assert no_fork_server_left(out)


def kill_a_grading_worker(
    client: Client, out: Path, grading: subprocess.Popen[bytes]
) -> tuple[int, int]:
    """SIGKILL a worker process as soon as it holds a chunk to grade; its pid and how many
    records were written then."""
    while grading.poll() is None:
        busy = [
            worker
            for worker, keys in client.processing().items()
            if any(str(key).startswith("graded_as_json") for key in keys)
        ]
        if busy:
            victim = client.run(os.getpid, workers=busy[:1])[busy[0]]
            os.kill(victim, signal.SIGKILL)
            return victim, len(list((out / "records").glob("*.json")))
        time.sleep(0.05)
    raise AssertionError("grading ended before any worker held a chunk")


def test_a_student_whose_grading_kills_its_worker_gets_one_grader_error_row(
    submissions: Path, local_grades: dict[str, Any], tmp_path: Path
):
    folder = tmp_path / "submissions"
    innocent = sorted(local_grades)[:15]
    for student in innocent:
        (folder / f"{student}.ipynb").parent.mkdir(exist_ok=True)
        (folder / f"{student}.ipynb").write_bytes((submissions / f"{student}.ipynb").read_bytes())
    (folder / f"{KILLER}.ipynb").write_bytes((submissions / "reference.ipynb").read_bytes())
    out = tmp_path / "out"
    with local_cluster(2) as cluster, Client(cluster) as client:
        client.register_plugin(ExitOnStudent(KILLER))
        done = grade(
            str(folder), "--out", str(out), "--seed", SEED, "--scheduler", cluster.scheduler_address
        )
    assert done.returncode == 1, done.stderr  # a grader error row
    grades = grades_in(out)
    killed = json.loads((out / "records" / f"{KILLER}.json").read_text())
    assert killed["status"] == "grader_error"
    assert f"died, {ALLOWED_FAILURES + 1} times" in killed["message"]
    del grades[KILLER]
    assert grades == {student: local_grades[student] for student in innocent}
    assert no_fork_server_left(out)


def test_a_worker_whose_sandbox_lacks_a_required_layer_refuses_and_the_run_stops(
    submissions: Path, tmp_path: Path
):
    out = tmp_path / "out"
    store = RecordStore(out)
    setup = GradingSetup(RELEASE, int(SEED), grader_hash(RELEASE))
    notes = GradedFrom(out / "graded-from.json", [])
    handed_in = collect([str(submissions)], tmp_path).submissions
    jobs, _ = jobs_for(handed_in, store, setup, False, notes)
    sandbox = SandboxSettings(Limits.for_wall_clock(10), (out,))
    run = ClusterRun(
        setup, sandbox, store, lambda _: None, lambda _: None, "local:1", ("a-layer-none-has",)
    )
    with pytest.raises(GraderFault, match="lacks a-layer-none-has, which this run requires"):
        run.run(jobs)
    assert not list(store.students())
    assert no_fork_server_left(out)


def test_a_worker_whose_judge_finds_no_checks_says_so_in_every_task_and_closes_its_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    def nothing_found() -> None:
        raise GraderFault("no hidden checks were found")

    monkeypatch.setattr(sandboxed, "hidden_checks", nothing_found)
    worker.start_sandbox(Limits.for_wall_clock(10), (tmp_path,), launches=1)
    try:
        for task in (worker.facts, lambda: worker.lesson_of(RELEASE)):
            with pytest.raises(GraderFault, match="no hidden checks were found"):
                task()
        assert no_fork_server_left(tmp_path)
    finally:
        worker.stop()


def readme_scale_out_commands() -> list[str]:
    """The bash block under "An existing scheduler" in the README's Scale-out section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Scale-out", 1)[1].split("\n## ", 1)[0]
    part = section.split("**An existing scheduler.**", 1)[1]
    block = part.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_readme_scale_out_commands_grade_on_hand_started_scheduler_and_workers(
    some: Path, local_grades: dict[str, Any], tmp_path: Path
):
    out = tmp_path / "grading"
    ports = {"8786": str(free_port()), "8787": str(free_port())}
    commands = []
    for line in readme_scale_out_commands():
        for written, port in ports.items():
            line = line.replace(written, port)
        words = shlex.split(line.replace("submitted/", f"{some}/"), comments=True)
        commands.append([w.replace("grading/", f"{out}/") for w in words])
    *services, grading = commands
    assert [command[:2] for command in services] == [
        ["dask", "scheduler"],
        ["dask", "worker"],
        ["dask", "worker"],
    ]
    assert grading[:4] == ["python", "-m", "autograder", "grade"]
    started = []
    try:
        for command in services:
            started.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=kernel_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"service-{len(started)}.log").open("w"),
                    start_new_session=True,
                )
            )
        done = subprocess.run(
            [sys.executable, *grading[1:], "--seed", SEED],
            cwd=ROOT,
            env=kernel_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Dask dashboard: http://" in done.stdout
    finally:
        for process in reversed(started):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert grades_in(out) == of(some, local_grades)
    assert no_fork_server_left(out)
