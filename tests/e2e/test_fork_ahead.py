"""Students forked ahead of their turn: a judge that expects more launches has the fork server
fork and confine the next student while the one before runs. Real fork server, real processes.

The class: a process forked ahead, however long it waited for its turn (none, or longer than
its wall clock), behaves as one forked at its turn: it gets its own payload and its whole wall
clock from its turn on, and the same limit stops it. And forking ahead leaves nothing behind:
a judge forks no more processes than it said it would launch, and one never started is gone
when its judge hangs up.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import psutil
import pytest

from autograder.sandbox import Sandbox
from autograder.sandbox.protocol import ChannelClosed
from tests.e2e.test_sandbox import LIMITS as SANDBOX_LIMITS
from tests.e2e.test_sandbox import TARGETS

LIMITS = dataclasses.replace(SANDBOX_LIMITS, wall_seconds=1.0, waiting_forgiven_seconds=1.0)
LONGER_THAN_THE_WALL_CLOCK = 1.5 * LIMITS.wall_seconds
SETTLE_SECONDS = 10.0  # how long a forked process may take to show up, or to go, on a busy machine


@pytest.fixture(scope="module")
def ahead() -> Iterator[Sandbox]:
    with Sandbox(LIMITS, [], entry=TARGETS, launches=1_000) as box:
        box.started()
        yield box


def settled(count: int, server: psutil.Process) -> bool:
    """Whether the server holds `count` students within `SETTLE_SECONDS`."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        if len(server.children()) == count:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("waited", [0.0, LONGER_THAN_THE_WALL_CLOCK])
@pytest.mark.parametrize(
    ("behaviour", "ended"), [("payload", None), ("sleep", "timeout"), ("spin", "cpu_limit")]
)
def test_a_student_forked_ahead_gets_its_payload_and_its_whole_clock_from_its_turn(
    ahead: Sandbox, waited: float, behaviour: str, ended: str | None
) -> None:
    """The one before it is launched and finished, so this one was forked ahead; it waits
    `waited`, then runs as if forked now."""
    ahead.launch({}).finish()
    time.sleep(waited)
    turn = time.monotonic()
    student = ahead.launch({"turn": turn})
    if ended is None:
        reply = student.request({"behaviour": behaviour}, timeout=10)
        assert reply == {"payload": {"turn": turn}}
        assert student.finish().ended == "killed"
        return
    with pytest.raises(ChannelClosed):
        student.request({"behaviour": behaviour}, timeout=30)
    outcome = student.finish()
    elapsed = time.monotonic() - turn
    assert outcome.ended == ended
    assert (
        LIMITS.wall_seconds <= elapsed < LIMITS.wall_seconds + LIMITS.waiting_forgiven_seconds + 1.5
    )


@pytest.mark.parametrize("launches", [1, 2, 3])
def test_a_judge_forks_no_more_students_than_it_said_it_would_launch(launches: int) -> None:
    """After each launch, finished, one student waits for its turn while more are expected,
    and none once the last has been launched."""
    limits = dataclasses.replace(LIMITS, wall_seconds=30.0)
    with Sandbox(limits, [], entry=TARGETS, launches=launches) as box:
        box.started()
        for launched in range(1, launches + 1):
            student = box.launch({})
            server = psutil.Process(student.pid).parent()
            assert server is not None
            student.finish()
            assert settled(1 if launched < launches else 0, server), f"after launch {launched}"


def test_a_student_never_started_is_gone_when_its_judge_hangs_up() -> None:
    with Sandbox(LIMITS, [], entry=TARGETS, launches=3) as box:
        box.started()
        first = box.launch({})
        server = psutil.Process(first.pid).parent()
        assert server is not None
        first.finish()
        assert settled(1, server), "the next student was not forked ahead"
        [waiting] = server.children()
    assert not waiting.is_running() or waiting.status() == psutil.STATUS_ZOMBIE
