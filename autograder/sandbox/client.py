"""The judge's side of the sandbox: start the fork server, launch and finish students.

Nothing here runs student code. The judge talks to each student process over its own
message channel, and to the fork server over a control socket and one report socket per
student. Judge processes of one run can share a fork server (`Sandbox.share`,
`Sandbox.joined`), so that the run warms torch up once rather than once per process.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.sandbox.limits import Limits, ProcessOutcome
from autograder.sandbox.protocol import (
    BEGIN,
    FINISH,
    JOIN,
    LAUNCH,
    ChannelClosed,
    ProtocolError,
    channel_pair,
    decode,
    encode,
    receive_message,
    send_encoded,
    send_message,
)

_STARTUP_SECONDS = 300.0  # the first torch import on a cold disk can be slow
_LAUNCH_SECONDS = 30.0
_REPORT_SECONDS = 30.0  # a killed process is reaped within milliseconds; this is a backstop
# The fork server stops a process at its wall-clock limit within milliseconds; a judge waits
# this much longer for an answer, so that the server, not the judge's own clock, stops it.
_DEADLINE_GRACE_SECONDS = 5.0


class SandboxError(Exception):
    """The sandbox itself failed (not the student): the fork server is gone or stuck."""


class NotConfined(SandboxError):
    """A student process ended before the sandbox had set it up, so no student code ran."""


@dataclass(frozen=True)
class SandboxShare:
    """What another judge process needs to use a running fork server: a copy of its owner's
    control socket, to ask the server for a connection of its own (passed to a spawned
    process, it arrives as a copy again), and the server's settings, to start a server of
    its own should the shared one die. The holder closes `control` when done with it."""

    control: socket.socket
    limits: Limits
    config: dict[str, Any]


class Sandbox:
    """One fork server's judge: the one that started it, or one that joined it."""

    def __init__(
        self,
        limits: Limits,
        hidden_paths: Sequence[Path],
        entry: str,
        huge_pages: bool = False,
        launches: int = 1,
        preparation: Mapping[str, Any] | None = None,
    ) -> None:
        """`entry` (`module:function`) is what each student process runs once confined;
        the fork server calls its module's `prepare(**preparation)`, if it has one, before
        forking any (plain JSON data: what every student process is to start with).
        `huge_pages`: the server backs its memory with huge pages (`hugepages`, which says
        from how many launches they pay for themselves). `launches`: about how many students
        this judge will launch; each after the first is forked ahead (`launch`).

        The fork server warms up in the background: `layers` and `launch` wait for it, so
        the caller can do its own start-up meanwhile. A server that cannot start raises
        `SandboxError` there."""
        self.limits = limits
        self._config = {
            "limits": asdict(limits),
            "hidden_paths": [str(Path(path).resolve()) for path in hidden_paths],
            "entry": entry,
            "huge_pages": huge_pages,
            "preparation": dict(preparation or {}),
        }
        self._expect(launches)
        self._start()

    def _expect(self, launches: int) -> None:
        self._launches = launches
        self._launched = 0
        self._ahead: _Forked | None = None

    @classmethod
    def joined(cls, share: SandboxShare, launches: int = 1) -> Sandbox:
        """A judge of the fork server another process started (see `share`), which closes
        `share.control`. The server greets it as it greeted its owner (`started`); if it is
        gone, `started` says so. `launches` as for a judge that starts its own."""
        sandbox = cls.__new__(cls)
        sandbox.limits, sandbox._config = share.limits, share.config
        sandbox._expect(launches)
        sandbox._server = None
        judge_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # A server that is gone gets no join: `started` says so.
        with server_end, share.control, contextlib.suppress(OSError):
            socket.send_fds(share.control, [JOIN], [server_end.fileno()])
        sandbox._control, sandbox._layers = judge_end, None
        return sandbox

    def share(self) -> SandboxShare:
        """What another process needs to join this fork server (`joined`). The server runs
        until every judge, this one and all that joined, has hung up, and every copy of the
        share's control socket is closed."""
        if self._control is None:
            raise SandboxError("the sandbox is closed")
        return SandboxShare(self._control.dup(), self.limits, self._config)

    def _start(self) -> None:
        judge_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with server_end:
            self._server: subprocess.Popen[bytes] | None = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "autograder.sandbox.server",
                    str(server_end.fileno()),
                    json.dumps(_on_command_line(self._config)),
                ],
                pass_fds=[server_end.fileno()],
                env=_server_environment(),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C meant for the judge does not reach it
            )
            # A server that dies before it has read this says so when asked (`started`).
            with contextlib.suppress(BrokenPipeError), self._server.stdin as preparation:
                preparation.write(json.dumps(self._config["preparation"]).encode())
        self._control: socket.socket | None = judge_end
        self._layers: list[str] | None = None

    @property
    def layers(self) -> list[str]:
        """The isolation layers every student process gets."""
        return self.started()

    def started(self) -> list[str]:
        """Wait for the fork server's start (once); its layers."""
        if self._layers is None:
            if self._control is None:
                raise SandboxError("the sandbox is closed")
            try:
                hello = receive_message(self._control, timeout=_STARTUP_SECONDS)
            except ProtocolError as error:
                self.close()
                raise SandboxError(f"the fork server did not start: {error}") from None
            if "error" in hello:
                self.close()
                raise SandboxError(f"the sandbox cannot grade on this machine: {hello['error']}")
            self._layers = list(hello["layers"])
        return self._layers

    def restart(self) -> None:
        """A fresh fork server in place of one that died; the same layers are required."""
        required = self.layers
        self.close()
        self._start()
        if set(required) - set(self.layers):
            self.close()
            raise SandboxError("the restarted fork server could not set up the same isolation")

    def launch(self, payload: dict[str, Any]) -> ConfinedProcess:
        """A confined student process, handed `payload` as its first message: its clock
        starts now. The process was forked while the one before it ran, if this judge
        expects more than one launch; while it runs, the next one is forked in its turn, so
        that forking and confining a student costs the judge no wait."""
        forked, self._ahead = self._ahead, None
        if forked is not None and self._server_gone():  # and the process it forked with it
            forked.discard()
            forked = None
        process = (forked or self._fork()).start(payload, self.limits)
        self._launched += 1
        if self._launched < self._launches:
            # A server that is gone now is found, and said to be, by the next launch.
            with contextlib.suppress(SandboxError):
                self._ahead = self._fork()
        return process

    def _server_gone(self) -> bool:
        """Whether the fork server has hung up; once it has greeted a judge, it never says
        anything more on the judge's control connection."""
        if self._control is None:
            return True
        readable, _, _ = select.select([self._control], [], [], 0)
        if not readable:
            return False
        try:
            return self._control.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _fork(self) -> _Forked:
        """Ask the fork server for a confined student process; the reply is read when the
        process is started."""
        self.started()
        if self._control is None:
            raise SandboxError("the sandbox is closed")
        judge_end, student_end = channel_pair()
        report, server_report = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        forked = _Forked(judge_end, report)
        with contextlib.ExitStack() as on_failure, student_end, server_report:
            on_failure.callback(forked.discard)
            try:
                socket.send_fds(
                    self._control, [LAUNCH], [student_end.fileno(), server_report.fileno()]
                )
            except OSError as error:
                raise SandboxError(f"the fork server is gone: {error}") from None
            on_failure.pop_all()
        return forked

    def close(self) -> None:
        """Hang up on the fork server, which kills whatever still runs and exits once every
        judge has hung up; the judge that started it waits for that."""
        if self._control is None:
            return
        if self._ahead is not None:
            self._ahead.discard()
            self._ahead = None
        self._control.close()
        self._control = None
        if self._server is None:
            return
        try:
            self._server.wait(timeout=_REPORT_SECONDS)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _on_command_line(config: dict[str, Any]) -> dict[str, Any]:
    """The server's settings but its preparation, which may be larger than one argument of a
    command line may be: that goes to its standard input."""
    return {key: value for key, value in config.items() if key != "preparation"}


def _server_environment() -> dict[str, str]:
    """Only what the fork server needs: its children inherit its memory, environment included."""
    path = [entry or os.getcwd() for entry in sys.path]
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        "PYTHONPATH": os.pathsep.join(path),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


class _Forked:
    """A student process asked of the fork server, which forks and confines it while the
    judge does other work; it waits for its payload, and its clock waits with it."""

    def __init__(self, channel: socket.socket, report: socket.socket) -> None:
        self._channel = channel
        self._report = report

    def start(self, payload: dict[str, Any], limits: Limits) -> ConfinedProcess:
        """Hand the process its payload; its clock starts as the fork server hears so."""
        message = encode(payload)
        with contextlib.ExitStack() as on_failure:
            on_failure.callback(self.discard)
            try:
                reply = receive_message(self._report, timeout=_LAUNCH_SECONDS)
            except (OSError, ProtocolError) as error:
                raise SandboxError(f"the fork server is gone: {error}") from None
            if "pid" not in reply:
                raise SandboxError(reply.get("error", "the fork server refused the launch"))
            on_failure.pop_all()
        started = time.monotonic()
        with contextlib.suppress(OSError):  # a process that died already shows in its outcome
            self._report.send(BEGIN)
            send_encoded(self._channel, message)
        return ConfinedProcess(reply["pid"], self._channel, self._report, limits, started)

    def discard(self) -> None:
        """Hang up on a process never started: the fork server kills it."""
        self._channel.close()
        self._report.close()


class ConfinedProcess:
    """One running student process, as the judge sees it."""

    def __init__(
        self,
        pid: int,
        channel: socket.socket,
        report: socket.socket,
        limits: Limits,
        started: float,
    ) -> None:
        self.pid = pid
        self._channel = channel
        self._report = report
        self._limits = limits
        self._started = started
        self._outcome: ProcessOutcome | None = None
        self._no_outcome: SandboxError | None = None  # why the fork server could not say

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one message and wait for the answer; only the student process itself may
        answer (the kernel stamps the sender's pid, so its children are ignored)."""
        try:
            send_message(self._channel, message)
        except (BrokenPipeError, ConnectionResetError):
            raise ChannelClosed("the student process closed the channel") from None
        return receive_message(self._channel, timeout=timeout, sender_pid=self.pid)

    def remaining_seconds(self) -> float:
        """Wall-clock time left, counted from before the fork server was told to start the
        process's clock (so never an overestimate)."""
        return max(0.0, self._limits.wall_seconds - (time.monotonic() - self._started))

    def answer_seconds(self) -> float:
        """How long to wait for an answer: the time left, the most the fork server may move
        its deadline on for time the process waited for a CPU, then long enough for the
        server to stop the process at that deadline. Only the server can say which limit
        stopped it (it sees the tree's CPU time and its time waiting for a CPU); a judge that
        gave up first would call a loop starved of CPU on a loaded machine a timeout."""
        forgiven = self._limits.waiting_forgiven_seconds
        return self.remaining_seconds() + forgiven + _DEADLINE_GRACE_SECONDS

    def finish(self) -> ProcessOutcome:
        """Kill the process if it still runs, wait until it is reaped, and say how it ended;
        asked again, say the same (`SandboxError` again, if the fork server could not say)."""
        if self._no_outcome is not None:
            raise self._no_outcome
        if self._outcome is None:
            with contextlib.suppress(OSError):
                self._report.send(FINISH)
            try:
                self._outcome = self._read_outcome()
            except SandboxError as failure:
                self._no_outcome = failure
                raise
            finally:
                self._channel.close()
                self._report.close()
        return self._outcome

    def _receive_report(self) -> tuple[bytes, list[int]]:
        """If the server closed its end with our "finish" still unread, the kernel reports
        ECONNRESET once, ahead of the outcome that is already queued; read past it."""
        try:
            data, fds, _, _ = socket.recv_fds(self._report, 4096, 1)
        except ConnectionResetError:
            data, fds, _, _ = socket.recv_fds(self._report, 4096, 1)
        return data, fds

    def _read_outcome(self) -> ProcessOutcome:
        self._report.settimeout(_REPORT_SECONDS)
        try:
            data, fds = self._receive_report()
        except OSError as error:
            raise SandboxError(f"no outcome from the fork server: {error}") from None
        if not data or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise SandboxError("the fork server went away before reporting an outcome")
        try:
            output = os.pread(fds[0], self._limits.output_bytes, 0)
        finally:
            os.close(fds[0])
        header = decode(data)
        return ProcessOutcome(
            ended=header["ended"],
            returncode=header["returncode"],
            signal=header["signal"],
            output=output.decode(errors="replace"),
            output_truncated=header["output_truncated"],
            confined=header["confined"],
        )
