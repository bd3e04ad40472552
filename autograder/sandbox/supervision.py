"""One student process as the fork server watches it: its output, its clock, its end."""

from __future__ import annotations

import collections
import contextlib
import fcntl
import math
import os
import signal
import socket

from autograder.sandbox.cgroups import ProcessCgroups
from autograder.sandbox.limits import (
    BUSY_SHARE_OF_FINAL_STRETCH,
    FINAL_STRETCH_OF_WALL_CLOCK,
    Limits,
)
from autograder.sandbox.process import CONFINED
from autograder.sandbox.protocol import encode

_PIPE_BYTES = 1 << 20
_CHUNK = _PIPE_BYTES
_PF_EXITING = 0x4  # task flag: the process is inside exit()


def output_pipe() -> tuple[int, int]:
    """A (read end, write end) pipe for a student's stdout and stderr, as large as allowed."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    with contextlib.suppress(OSError):
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    os.set_blocking(read_end, False)
    return read_end, write_end


class Supervised:
    """Output goes from the pipe into a memfd (or /dev/null past the cap) inside the kernel,
    so the fork server never holds a student's output in its own memory."""

    def __init__(
        self,
        pid: int,
        report: socket.socket,
        output: int,
        confined: int,
        limits: Limits,
        cgroups: ProcessCgroups,
        sink: int,
    ) -> None:
        self.pid = pid
        self._kept = os.memfd_create("student-output", os.MFD_CLOEXEC)
        try:
            self.pidfd = os.pidfd_open(pid)
        except OSError:
            os.close(self._kept)
            raise
        self.report = report
        self.output = output
        self._confined = confined  # read end: CONFINED once the process was set up
        self._wall_seconds = limits.wall_seconds
        self._wall_clock_ends = math.inf  # until its judge hands it its payload (`begin`)
        self._waiting_forgiven = limits.waiting_forgiven_seconds
        self._waited = 0.0  # the longest any thread of the tree has waited for a CPU
        self._final_stretch = limits.wall_seconds * FINAL_STRETCH_OF_WALL_CLOCK
        # (when, CPU wanted by then), from the last one before the final stretch on
        self._wanted: collections.deque[tuple[float, float]] = collections.deque()
        self._cpu_seconds = limits.cpu_seconds
        self._cpu_used_at_exit = 0.0
        self.kill_reason: str | None = None
        self._room = limits.output_bytes
        self._truncated = False
        self._status: int | None = None
        self._cgroups = cgroups
        self._sink = sink

    @property
    def begun(self) -> bool:
        """Whether its judge has handed it its payload: until then it runs nothing of a
        student's, so no clock runs."""
        return self._wall_clock_ends != math.inf

    def begin(self, now: float) -> None:
        """Start the wall clock: the judge has handed the process its payload."""
        self._wall_clock_ends = now + self._wall_seconds
        self._wanted.append((now, self._scheduled()[0]))

    def drain(self) -> bool:
        """Move one chunk of output along; False once every writer has closed the pipe."""
        return self._move() != 0

    def _move(self) -> int | None:
        """Bytes moved: 0 at end of file, None when the pipe is empty for now."""
        try:
            if self._room:
                moved = os.splice(
                    self.output, self._kept, min(self._room, _CHUNK), flags=os.SPLICE_F_NONBLOCK
                )
                self._room -= moved
            else:
                moved = os.splice(self.output, self._sink, _CHUNK, flags=os.SPLICE_F_NONBLOCK)
                self._truncated = self._truncated or moved > 0
        except BlockingIOError:
            return None
        return moved

    def over_cpu_limit(self) -> bool:
        """True once the student's whole process tree has used up its CPU time."""
        used = self._cgroups.cpu_seconds()
        return used is not None and used >= self._cpu_seconds

    @property
    def deadline(self) -> float:
        """The wall-clock limit, moved on by the time the tree waited for a CPU while other
        processes had it (up to `Limits.waiting_forgiven_seconds`): on a loaded machine, code
        gets the time it would have had on an idle one."""
        return self._wall_clock_ends + min(self._waited, self._waiting_forgiven)

    def note_cpu_wanted(self, now: float) -> None:
        """Note the CPU the tree has wanted so far, keeping what the final stretch needs, and
        how long it has waited for a CPU."""
        wanted, longest_wait = self._scheduled()
        self._waited = max(self._waited, longest_wait)
        self._wanted.append((now, wanted))
        start = now - self._final_stretch
        while len(self._wanted) > 1 and self._wanted[1][0] <= start:
            self._wanted.popleft()

    def limit_at_deadline(self, now: float) -> str:
        """Which limit stops a process still running at its wall-clock limit: "cpu_limit"
        when its tree wanted the CPU through the final stretch, "timeout" when it mostly
        waited for something else by then."""
        since, wanted = self._wanted[0]
        wanted_now, _ = self._scheduled()
        busy = wanted_now - wanted >= (now - since) * BUSY_SHARE_OF_FINAL_STRETCH
        return "cpu_limit" if busy else "timeout"

    def _scheduled(self) -> tuple[float, float]:
        """(CPU wanted, longest wait for a CPU of a live thread), in seconds. The CPU wanted is
        the CPU time the tree used plus the time its live threads stood ready to run while
        other processes had the CPU. On a loaded machine an endless loop gets a small share
        of the CPU and spends the rest waiting for it; a process blocked in input() or a
        sleep waits for neither, so load cannot turn one into the other."""
        threads = self._cgroups.thread_ids()
        used = self._cgroups.cpu_seconds()
        if threads is None or used is None:  # no cgroup: the process's own threads
            scheduled = [_scheduled_seconds(tid) for tid in _own_threads(self.pid)]
            used = sum(run for run, _ in scheduled)
        else:
            scheduled = [_scheduled_seconds(tid) for tid in threads]
        waits = [waited for _, waited in scheduled]
        return used + sum(waits), max(waits, default=0.0)

    def kill(self, reason: str) -> None:
        """SIGKILL through the pidfd: the process is unreaped, so its pid cannot be reused.
        One that already ended by itself keeps its own cause of death."""
        if self.kill_reason is None and self._status is None and self._running():
            self.kill_reason = reason
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def _running(self) -> bool:
        """False once the process has started to exit, whoever killed it: the kernel closes
        its channel before it becomes reapable, and the judge may react in between."""
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                flags = int(stat.read().rsplit(")", 1)[1].split()[6])
        except OSError:
            return False
        return not flags & _PF_EXITING

    def reap(self) -> None:
        _, self._status, usage = os.wait4(self.pid, 0)
        self._cpu_used_at_exit = max(
            usage.ru_utime + usage.ru_stime, self._cgroups.cpu_seconds() or 0.0
        )

    def report_outcome(self) -> None:
        """Send how it ended, with the kept output as a memfd; then let everything go."""
        # Empty the pipe, but no more than it can hold: without a pid namespace an escaped
        # child could go on writing for ever.
        remaining = _PIPE_BYTES
        while remaining > 0 and (moved := self._move()):
            remaining -= moved
        with contextlib.suppress(OSError):
            socket.send_fds(self.report, [encode(self._outcome())], [self._kept])
        for fd in (self._kept, self.output, self._confined, self.pidfd):
            os.close(fd)
        self.report.close()
        self._cgroups.remove()

    def _outcome(self) -> dict[str, object]:
        status = self._status
        assert status is not None, "report_outcome() before reap()"
        outcome: dict[str, object] = {
            "output_truncated": self._truncated,
            "confined": self._was_confined(),
        }
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            killed = self.kill_reason is not None and number == signal.SIGKILL
            ended = self.kill_reason if killed else "signaled"
            by_cpu_rlimit = number in (signal.SIGKILL, signal.SIGXCPU) and (
                self._cpu_used_at_exit >= self._cpu_seconds
            )
            if ended == "signaled" and by_cpu_rlimit:
                ended = "cpu_limit"
            return outcome | {"ended": ended, "returncode": None, "signal": number}
        return outcome | {"ended": "exited", "returncode": os.WEXITSTATUS(status), "signal": None}

    def _was_confined(self) -> bool:
        """Whether the process said it was set up. Once it is reaped, no process holds the
        write end (it was closed before any student code ran), so this never waits."""
        try:
            return os.read(self._confined, len(CONFINED)) == CONFINED
        except BlockingIOError:
            return False


def _own_threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def _scheduled_seconds(tid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds ready to run but waiting for one) of a live thread, from
    the scheduler's own count; (0, 0) once it has gone."""
    try:
        with open(f"/proc/{tid}/schedstat") as schedstat:
            ran, waited, _ = schedstat.read().split()
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(ran) / 1e9, int(waited) / 1e9
