"""The sandbox against hostile student code: real fork server, real processes, no mocks.

Behaviours live in tests/sandbox_targets.py. A test that depends on one isolation layer skips
when this machine cannot provide it, so a skip here means a layer is missing, not a pass.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import importlib.util
import json
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograder
from autograder.judge.confinement import student_sandbox
from autograder.sandbox import Limits, ProcessOutcome, Sandbox, SandboxError
from autograder.sandbox.cgroups import find_controllers
from autograder.sandbox.confine import STUDENT_ENVIRONMENT
from autograder.sandbox.hugepages import PAY_FROM_LAUNCHES
from autograder.sandbox.protocol import ChannelClosed, ReplyTimeout
from tests.support import joined_judge
from tests.support.cgroups import held_cgroups, next_cgroup_names
from tests.support.processes import loaded_machine, on_one_cpu

TARGETS = "tests.support.sandbox_targets:serve"
LIMITS = Limits(
    wall_seconds=2.0,
    cpu_seconds=10,
    memory_bytes=512 * 1024**2,
    max_processes=16,
    output_bytes=64 * 1024,
    waiting_forgiven_seconds=2.0,
)
HIDDEN_DIR = Path(autograder.__file__).parent
HIDDEN_FILE = Path(autograder.__file__).parent.parent / "pyproject.toml"
# Filling memory up to a cap takes a few seconds of page faults on a loaded machine: the memory
# tests give it that long, so that the cap, not the clock, is what stops the hog.
ROOMY_LIMITS = dataclasses.replace(LIMITS, wall_seconds=8.0)
JUDGE_SECRET = ("SANDBOX_TEST_JUDGE_SECRET", "judge-only-" + uuid.uuid4().hex)


def _started(limits: Limits) -> Iterator[Sandbox]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(*JUDGE_SECRET)
        with Sandbox(limits, [HIDDEN_DIR, HIDDEN_FILE], entry=TARGETS, huge_pages=True) as box:
            box.started()  # the fork server has booted: tests time launches, not the boot
            yield box


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from _started(LIMITS)


@pytest.fixture(scope="module")
def roomy_sandbox() -> Iterator[Sandbox]:
    yield from _started(ROOMY_LIMITS)


def needs(sandbox: Sandbox, *layers: str) -> None:
    missing = [layer for layer in layers if layer not in sandbox.layers]
    if missing:
        pytest.skip(f"not available on this machine: {', '.join(missing)}")


def ask(sandbox: Sandbox, behaviour: str, **fields: Any) -> tuple[dict[str, Any], ProcessOutcome]:
    student = sandbox.launch({})
    try:
        reply = student.request({"behaviour": behaviour, **fields}, timeout=10)
    except ChannelClosed:
        outcome = student.finish()
        raise AssertionError(f"{behaviour}: the student process ended: {outcome}") from None
    outcome = student.finish()
    return reply, outcome


def namespace_members(pid: int) -> set[int]:
    """Host pids of every process in the pid namespace `pid` lives in."""
    namespace = os.readlink(f"/proc/{pid}/ns/pid")
    members = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                    members.add(int(entry))
            except OSError:
                continue
    return members


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def session_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[3])


def test_payload_reaches_the_entry_and_finish_is_idempotent(sandbox: Sandbox) -> None:
    student = sandbox.launch({"notebook": "answers.ipynb", "seed": 42})
    reply = student.request({"behaviour": "payload"}, timeout=10)
    outcome = student.finish()
    assert reply == {"payload": {"notebook": "answers.ipynb", "seed": 42}}
    assert outcome.ended == "killed"
    assert student.finish() is outcome


def test_layers_are_unique_known_names(sandbox: Sandbox) -> None:
    known = {
        "pid-namespace",
        "network-namespace",
        "ipc-namespace",
        "uts-namespace",
        "mount-namespace",
        "allow-list-root",
        "private-proc",
        "private-tmp",
        "hidden-paths",
        "memory-cgroup",
        "pids-cgroup",
        "cpu-quota",
        "cpu-accounting",
        "rlimits",
        "non-root-uid",
        "no-new-privs",
        "seccomp",
    }
    assert set(sandbox.layers) <= known
    assert len(set(sandbox.layers)) == len(sandbox.layers)


def test_torch_threads_and_large_tensors_work_inside(sandbox: Sandbox) -> None:
    reply, outcome = ask(sandbox, "compute")
    assert reply["params"] == pytest.approx([3.0, 2.0], abs=1e-3)
    assert reply["big_sum"] == pytest.approx(64 << 20)
    assert outcome.ended == "killed"


def test_students_run_side_by_side(sandbox: Sandbox) -> None:
    students = [sandbox.launch({"number": number}) for number in range(3)]
    replies = [student.request({"behaviour": "payload"}, timeout=10) for student in students]
    outcomes = [student.finish() for student in reversed(students)]
    assert replies == [{"payload": {"number": number}} for number in range(3)]
    assert len({student.pid for student in students}) == 3
    assert [outcome.ended for outcome in outcomes] == ["killed"] * 3


@pytest.mark.parametrize(
    "behaviour, ended",
    [
        ("sleep", "timeout"),
        ("busy_then_asleep", "timeout"),
        ("spin", "cpu_limit"),
        ("stubborn", "cpu_limit"),
    ],
)
def test_the_wall_clock_limit_kills_with_sigkill_and_tells_busy_from_waiting(
    sandbox: Sandbox, behaviour: str, ended: str
) -> None:
    """A tree still busy at the wall-clock limit (here, below its CPU time) is a CPU limit; one
    asleep by then is a timeout, however busy it was before (here 40% of the time)."""
    if ended == "cpu_limit":
        needs(sandbox, "cpu-accounting")
    started = time.monotonic()
    student = sandbox.launch({})
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": behaviour, "busy_seconds": 0.4 * LIMITS.wall_seconds}, 30)
    outcome = student.finish()
    elapsed = time.monotonic() - started
    assert outcome.ended == ended
    assert outcome.signal == signal.SIGKILL
    assert (
        LIMITS.wall_seconds <= elapsed < LIMITS.wall_seconds + LIMITS.waiting_forgiven_seconds + 1.5
    )
    assert student.remaining_seconds() == 0.0


def test_load_on_the_machine_does_not_turn_a_busy_tree_into_a_waiting_one() -> None:
    """With six endless loops per CPU outside, a student's loop gets a seventh of a CPU, far
    from using up its CPU time; it still wanted the CPU all along, so it is a CPU limit, and a
    student asleep beside it by then is still a timeout, however long it wanted the CPU before
    (waiting for one longer than on an idle machine)."""
    wanted = {
        "spin": "cpu_limit",
        "busy_children": "cpu_limit",
        "sleep": "timeout",
        "busy_then_asleep": "timeout",
    }
    limits = dataclasses.replace(LIMITS, wall_seconds=4.0)
    with on_one_cpu(), Sandbox(limits, [], entry=TARGETS) as box:
        box.started()
        needs(box, "cpu-accounting")
        with loaded_machine(busy_per_cpu=6):
            students = {behaviour: box.launch({}) for behaviour in wanted}

            def run(behaviour: str) -> str:
                with pytest.raises(ChannelClosed):
                    students[behaviour].request(
                        {"behaviour": behaviour, "children": 4, "busy_seconds": 1.6}, 60
                    )
                return students[behaviour].finish().ended

            with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
                ended = dict(zip(wanted, pool.map(run, wanted), strict=True))
    assert ended == wanted


@pytest.mark.parametrize("behaviour", ["cpu_work", "cpu_work_in_child"])
def test_code_that_waits_for_a_cpu_gets_the_time_it_would_have_had_on_an_idle_machine(
    behaviour: str,
) -> None:
    """Honest work needing half the wall-clock limit in CPU time, on a machine so loaded that
    it gets about a ninth of a CPU: it needs several times the limit on the clock, longer than
    the judge's grace past it, and finishes, since the time it stood ready to run while others
    had the CPU is not counted against it (here up to ten times the limit, so that how loaded
    the machine is does not matter), and the judge waits as long as the server may. The work
    may be the process's own or a child's it waits for."""
    limits = dataclasses.replace(LIMITS, wall_seconds=2.0, waiting_forgiven_seconds=20.0)
    with on_one_cpu(), Sandbox(limits, [], entry=TARGETS) as box:
        box.started()
        needs(box, "cpu-accounting")
        with loaded_machine(busy_per_cpu=8):
            student = box.launch({})
            try:
                work = {"behaviour": behaviour, "cpu_seconds": 1.0}
                reply = student.request(work, student.answer_seconds())
            finally:
                outcome = student.finish()
    assert reply["wall"] > limits.wall_seconds + 5, reply  # the load made it need that long
    assert outcome.ended == "killed"  # by the judge, once it had answered


@pytest.mark.parametrize("behaviour", ["stubborn", "busy_children"])
def test_cpu_limit_ends_a_busy_tree_before_the_wall_clock(behaviour: str) -> None:
    limits = Limits(wall_seconds=20.0, cpu_seconds=1)
    with Sandbox(limits, [], entry=TARGETS) as box:
        needs(box, "cpu-accounting")
        started = time.monotonic()
        student = box.launch({})
        with pytest.raises(ChannelClosed):
            student.request({"behaviour": behaviour, "children": 8}, timeout=30)
        outcome = student.finish()
    assert outcome.ended == "cpu_limit"
    assert outcome.signal == signal.SIGKILL
    assert time.monotonic() - started < 6.0


def test_a_busy_tree_in_many_sessions_leaves_a_neighbour_its_cpu(sandbox: Sandbox) -> None:
    """Thirty-one busy children, each in its own session, get one CPU between them."""
    needs(sandbox, "cpu-quota")
    alone, _ = ask(sandbox, "timed_work")
    hog = sandbox.launch({})
    try:
        with pytest.raises(ReplyTimeout):
            hog.request({"behaviour": "busy_children", "children": 31}, timeout=0.5)
        beside, _ = ask(sandbox, "timed_work")
    finally:
        hog.finish()
    assert beside["wall"] < 2.5 * alone["wall"] + 0.3, (alone, beside)


def test_nothing_outside_the_runtime_is_visible(sandbox: Sandbox, tmp_path: Path) -> None:
    needs(sandbox, "allow-list-root")
    secret_dir = Path.home() / f".sandbox-test-{uuid.uuid4().hex}"
    secret_dir.mkdir()
    try:
        (secret_dir / "answers.txt").write_text("the instructor's solutions")
        paths = [
            str(secret_dir / "answers.txt"),
            str(secret_dir),
            str(Path(__file__).resolve()),
            "/etc/shadow",
            "/etc/hostname",
            "/root/.bash_history",
            "/sys/fs/cgroup",
            "/proc/1/environ",
            "/var/log",
            "/home",
            "/srv",
            "/opt",
            "/usr/bin/python3",
        ]
        reply, _ = ask(sandbox, "look", paths=paths)
    finally:
        (secret_dir / "answers.txt").unlink()
        secret_dir.rmdir()
    for path in paths:
        if path == "/proc/1/environ":  # the student's own pid 1: itself
            continue
        assert reply[path] == {"exists": False}, path
    top, _ = ask(sandbox, "top_level")
    allowed = {"tmp", "var", "dev", "proc", "etc", "usr", "lib", "lib64", "lib32", "root"}
    assert set(top["entries"]) <= allowed | {part for part in top["runtime_tops"]}
    assert top["etc"] == ["group", "ld.so.cache", "passwd"]
    assert top["dev"] == [
        "fd",
        "full",
        "null",
        "random",
        "shm",
        "stderr",
        "stdin",
        "stdout",
        "urandom",
        "zero",
    ]


def test_lazily_loaded_parts_of_the_runtime_work_inside(sandbox: Sandbox) -> None:
    reply, _ = ask(sandbox, "runtime")
    assert reply == {"problem": None}


def test_memory_bomb_fails_alone(roomy_sandbox: Sandbox) -> None:
    student = roomy_sandbox.launch({})
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": "hog", "megabytes": 8192}, timeout=10)
    outcome = student.finish()
    assert outcome.ended in ("exited", "signaled")
    assert outcome.ended == "signaled" or "MemoryError" in outcome.output
    assert ask(roomy_sandbox, "ping")[0] == {"pong": True}


def test_memory_of_all_children_together_is_capped(roomy_sandbox: Sandbox) -> None:
    needs(roomy_sandbox, "memory-cgroup")
    # Four children of 256 MiB each: each fits its own address-space cap, not the 512 MiB cgroup.
    reply, outcome = ask(roomy_sandbox, "hog_in_children", children=4, megabytes=256)
    assert -signal.SIGKILL in reply["statuses"]
    assert outcome.ended == "killed"


def test_fork_bomb_is_bounded_and_ends(sandbox: Sandbox) -> None:
    needs(sandbox, "pid-namespace")
    student = sandbox.launch({})
    with pytest.raises(ReplyTimeout):
        student.request({"behaviour": "fork_bomb"}, timeout=1.0)
    members = namespace_members(student.pid)
    outcome = student.finish()
    assert 1 < len(members) <= LIMITS.max_processes
    assert outcome.ended in ("timeout", "killed")
    assert not [pid for pid in members if alive(pid)]


def test_daemon_in_a_new_session_is_gone_after_finish(sandbox: Sandbox) -> None:
    needs(sandbox, "pid-namespace")
    student = sandbox.launch({})
    reply = student.request({"behaviour": "escape"}, timeout=10)
    escaped = namespace_members(student.pid) - {student.pid}
    assert escaped, "the daemon should be running before finish()"
    assert all(session_of(pid) != session_of(student.pid) for pid in escaped)
    assert reply["pid"] > 1
    student.finish()
    assert not [pid for pid in escaped if alive(pid)]


def test_no_network_not_even_loopback(sandbox: Sandbox) -> None:
    needs(sandbox, "network-namespace")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        reply, _ = ask(sandbox, "connect", port=listener.getsockname()[1])
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert "connected" not in reply
    assert reply["interfaces"] == ["lo"]


def test_tmp_is_private_and_empty_in_each_run(sandbox: Sandbox) -> None:
    needs(sandbox, "private-tmp")
    marker = f"sandbox-marker-{uuid.uuid4().hex}"
    first, _ = ask(sandbox, "scratch", write=marker)
    second, _ = ask(sandbox, "scratch")
    runtime = runtime_under_tmp()  # a virtualenv under /tmp is bound there, read-only
    assert sorted(first["/tmp"]) == sorted([marker, *runtime])
    assert second == {"/tmp": runtime, "/var/tmp": [], "/dev/shm": []}
    assert not (Path("/tmp") / marker).exists()


def runtime_under_tmp() -> list[str]:
    """The top folders under /tmp of the Python installation, if it lies there."""
    tops = set()
    for prefix in (sys.prefix, sys.base_prefix):
        parts = Path(prefix).resolve().parts
        if parts[:2] == ("/", "tmp") and len(parts) > 2:
            tops.add(parts[2])
    return sorted(tops)


def test_hidden_paths_are_empty_inside(sandbox: Sandbox) -> None:
    needs(sandbox, "hidden-paths")
    assert os.listdir(HIDDEN_DIR) and HIDDEN_FILE.stat().st_size > 0
    reply, _ = ask(sandbox, "look", paths=[str(HIDDEN_DIR), str(HIDDEN_FILE)])
    # Covered by an empty mount, or not there at all when the checkout lies under the
    # student's private /tmp.
    assert reply[str(HIDDEN_DIR)] in ({"mount": True, "entries": []}, {"exists": False})
    assert reply[str(HIDDEN_FILE)] in ({"mount": True, "bytes": 0}, {"exists": False})


def test_huge_output_is_drained_and_capped(sandbox: Sandbox) -> None:
    started = time.monotonic()
    reply, outcome = ask(sandbox, "shout", megabytes=100)
    assert reply == {"done": True}
    assert outcome.output_truncated
    assert outcome.output == "x" * LIMITS.output_bytes
    assert time.monotonic() - started < LIMITS.wall_seconds


def test_only_the_student_process_can_answer(sandbox: Sandbox) -> None:
    reply, _ = ask(sandbox, "impostor")
    assert reply == {"from": "student"}


def test_early_exit_closes_the_channel(sandbox: Sandbox) -> None:
    student = sandbox.launch({})
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": "end", "how": "os._exit", "code": 0, "text": ""}, 10)
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": "ping"}, timeout=10)
    outcome = student.finish()
    assert (outcome.ended, outcome.returncode, outcome.signal) == ("exited", 0, None)


def test_segfault_is_reported_as_a_signal(sandbox: Sandbox) -> None:
    student = sandbox.launch({})
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": "end", "how": "segfault", "code": 0, "text": ""}, 10)
    outcome = student.finish()
    assert (outcome.ended, outcome.returncode, outcome.signal) == ("signaled", None, signal.SIGSEGV)


def test_a_process_the_sandbox_could_not_set_up_says_so_in_its_outcome(
    sandbox: Sandbox,
) -> None:
    """Its cgroup could be neither made nor removed, so it lacks a required layer: it never
    runs the entry, and its outcome says the sandbox failed, in the sandbox's words."""
    with held_cgroups(sandbox, 1):
        student = sandbox.launch({})
        with pytest.raises(ChannelClosed):
            student.request({"behaviour": "ping"}, timeout=10)
        outcome = student.finish()
    assert (outcome.ended, outcome.returncode, outcome.confined) == ("exited", 125, False)
    said = outcome.setup_failure() or ""
    assert said.startswith("sandbox: could not set up ") and said.endswith("; not running")
    assert find_controllers(LIMITS)[0].layer in said


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    how=st.sampled_from(["os._exit", "SystemExit", "segfault"]),
    code=st.one_of(st.just(125), st.integers(0, 255)),
    text=st.one_of(st.just("sandbox: could not set up pids-cgroup; not running"), st.text()),
)
def test_however_student_code_ends_its_process_the_sandbox_had_set_it_up(
    sandbox: Sandbox, how: str, code: int, text: str
) -> None:
    """Whatever it prints and however it ends, even as a failed set-up ends, code that ran
    was confined: no student can pass their crash off as the sandbox's."""
    student = sandbox.launch({})
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": "end", "how": how, "code": code, "text": text}, timeout=10)
    outcome = student.finish()
    assert outcome.confined and outcome.setup_failure() is None
    assert outcome.ended == ("signaled" if how == "segfault" else "exited")


def test_input_sees_end_of_file(sandbox: Sandbox) -> None:
    assert ask(sandbox, "read_stdin")[0] == {"eof": True}


def test_environment_is_cleared(sandbox: Sandbox) -> None:
    reply, _ = ask(sandbox, "environment")
    assert reply["environ"] == STUDENT_ENVIRONMENT
    assert JUDGE_SECRET[1] not in reply["initial"]


def test_runs_as_nobody_without_groups(sandbox: Sandbox) -> None:
    needs(sandbox, "non-root-uid")
    reply, _ = ask(sandbox, "identity")
    assert reply == {"uid": [65534] * 3, "gid": [65534] * 3, "groups": []}


def test_a_cgroup_a_killed_server_left_under_a_students_name_is_made_afresh(
    sandbox: Sandbox,
) -> None:
    """A fork server killed while its students ran leaves their cgroups, named by its pid;
    the system gives that pid to a later server, whose students must not fail to launch
    where the old cgroups are, nor inherit their counters."""
    needs(sandbox, "memory-cgroup", "pids-cgroup", "cpu-quota", "cpu-accounting")
    [name] = next_cgroup_names(sandbox, 1)
    left = [parent / name for parent in {c.parent for c in find_controllers(LIMITS)}]
    for directory in left:
        directory.mkdir()
    stale = {directory: directory.stat().st_ino for directory in left}
    try:
        second = sandbox.launch({})
        assert second.request({"behaviour": "payload"}, timeout=10) == {"payload": {}}
        assert all(directory.stat().st_ino != stale[directory] for directory in left)
        second.finish()
    finally:
        for directory in left:
            with contextlib.suppress(OSError):
                directory.rmdir()


def test_closing_the_sandbox_ends_running_students() -> None:
    box = Sandbox(LIMITS, [], entry=TARGETS)
    student = box.launch({})
    with pytest.raises(ReplyTimeout):
        student.request({"behaviour": "spin"}, timeout=0.2)
    box.close()
    assert student.finish().ended == "killed"
    assert not alive(student.pid)


def fork_servers() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "autograder.sandbox.server" in " ".join(child.cmdline())
    ]


@contextlib.contextmanager
def joined_judges(box: Sandbox, count: int) -> Iterator[list[Connection]]:
    """`count` judges, each a spawned process that joined `box`'s fork server, as a `grade`
    run's workers do; each takes orders over the pipe it is given."""
    context = multiprocessing.get_context("spawn")
    share = box.share()
    pipes, judges = [], []
    with contextlib.closing(share.control):
        for _ in range(count):
            ours, theirs = context.Pipe()
            judge = context.Process(target=joined_judge.judge, args=(share, theirs))
            judge.start()
            pipes.append(ours)
            judges.append(judge)
    try:
        yield pipes
    finally:
        for judge in judges:
            judge.kill()
            judge.join()


def order(pipe: Connection, what: str) -> Any:
    pipe.send(what)
    assert pipe.poll(60), f"no answer to {what!r}"
    return pipe.recv()


def test_judges_in_other_processes_share_one_fork_server_until_the_last_hangs_up() -> None:
    before = {server.pid for server in fork_servers()}
    box = Sandbox(LIMITS, [], entry=TARGETS)
    with joined_judges(box, 2) as pipes:
        [server] = [s for s in fork_servers() if s.pid not in before]
        for pipe in pipes:
            assert order(pipe, "layers") == box.layers
            assert order(pipe, "ping") == {"pong": True}
        owner = threading.Thread(target=box.close)  # it hangs up, then waits for the server
        owner.start()
        assert order(pipes[0], "close") == "closed"
        assert order(pipes[1], "ping") == {"pong": True}  # the server still serves the last
        assert owner.is_alive() and server.status() != psutil.STATUS_ZOMBIE
        assert order(pipes[1], "close") == "closed"
        owner.join(timeout=10)  # the server ended once the last judge hung up
        assert not owner.is_alive()
    assert {s.pid for s in fork_servers()} == before


def test_a_judge_that_joins_a_server_which_cannot_grade_learns_why() -> None:
    """The probe fails when the runtime lacks torch (hidden here); every judge is told."""
    torch_dir = importlib.util.find_spec("torch").submodule_search_locations[0]
    box = Sandbox(LIMITS, [Path(torch_dir)], entry=TARGETS)
    with joined_judges(box, 1) as [pipe]:
        answer = order(pipe, "layers")
        assert answer.startswith("SandboxError: the sandbox cannot grade on this machine")
        assert "torch" in answer
        assert order(pipe, "ping").startswith("SandboxError: the sandbox is closed")
        with pytest.raises(SandboxError, match="cannot grade on this machine"):
            box.started()


def test_a_judge_whose_shared_server_died_starts_its_own() -> None:
    before = {server.pid for server in fork_servers()}
    box = Sandbox(LIMITS, [], entry=TARGETS)
    with joined_judges(box, 1) as [pipe]:
        assert order(pipe, "ping") == {"pong": True}
        [server] = [s for s in fork_servers() if s.pid not in before]
        server.kill()
        server.wait()
        assert order(pipe, "ping").startswith("SandboxError: the fork server is gone")
        assert order(pipe, "restart") == "restarted"
        assert order(pipe, "ping") == {"pong": True}
        [own] = [s for s in fork_servers() if s.pid not in before]
        assert own.pid != server.pid and own.parent().pid != os.getpid()
        box.close()


def huge_page_kib(hidden: Path) -> int:
    """How much of the anonymous memory of the fork server that hides `hidden` lies in huge
    pages, in KiB."""
    [server] = [
        child
        for child in psutil.Process().children()
        if "autograder.sandbox.server" in " ".join(child.cmdline())
        and json.dumps(os.fspath(hidden.resolve())) in " ".join(child.cmdline())
    ]
    rollup = Path(f"/proc/{server.pid}/smaps_rollup").read_text()
    return int(rollup.split("AnonHugePages:", 1)[1].split()[0])


def test_only_a_sandbox_for_enough_launches_builds_huge_pages(tmp_path: Path) -> None:
    """Building them costs the server half a second of CPU, which a check's two launches
    never earn back. (With transparent huge pages set to "always", the kernel backs large
    mappings with them by itself, so only the sandbox that asks is checked there.)"""
    with student_sandbox(LIMITS, [tmp_path], launches=PAY_FROM_LAUNCHES) as box:
        box.started()
        deadline = time.monotonic() + 30
        while huge_page_kib(tmp_path) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert huge_page_kib(tmp_path) > 0
    with student_sandbox(LIMITS, [tmp_path], launches=PAY_FROM_LAUNCHES - 1) as box:
        box.started()
        time.sleep(1)
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
        assert huge_page_kib(tmp_path) == 0 or "[always]" in mode


def test_launch_overhead(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    """Measured and printed, not asserted: the number depends on the machine."""
    count = 100
    started = time.perf_counter()
    for _ in range(count):
        student = sandbox.launch({})
        assert student.request({"behaviour": "ping"}, timeout=10) == {"pong": True}
        student.finish()
    per_launch = (time.perf_counter() - started) / count * 1000
    with capsys.disabled():
        print(f"\nsandbox: launch + one request + finish, {per_launch:.1f} ms each ({count} runs)")


def test_every_student_process_starts_with_what_its_fork_server_prepared() -> None:
    """Forked at its turn or ahead, and after a restart of the server, a student process
    holds what the entry's `prepare` was given before the server forked anyone, however
    large (a data cell larger than a command line's argument, or a pipe's buffer, may be)."""
    data = "values = [" + "0.125, " * 60_000 + "]"
    preparation = {"cells": ["x = 1", "%time y = 2\nprint(y)", data]}
    with Sandbox(LIMITS, [], entry=TARGETS, launches=3, preparation=preparation) as box:
        for _ in range(2):
            for _ in range(3):
                process = box.launch({})
                assert process.request({"behaviour": "prepared"}, timeout=30) == {
                    "prepared_with": preparation
                }
                process.finish()
            box.restart()
