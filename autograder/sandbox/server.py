"""The fork server: warms Python up once, then forks one confined student per request.

Started by `Sandbox` as `python -m autograder.sandbox.server CONTROL_FD CONFIG_JSON`. It
imports torch and matplotlib but never computes with torch (forking after torch has started
its thread pools can hang the child). Every process it forks inherits its memory, so it holds
nothing secret: payloads go from the judge straight to each student, and student output
moves from pipe to memfd inside the kernel. It also supervises every student it forked
(output, wall clock, exit) in one event loop, so a launch costs a single fork.

Several judge processes may share one server, each on a control connection of its own: a
judge that has one passes a new connection's end with `join`, and the server greets it as it
greeted the first, with the layers every student gets (or why it cannot grade). It serves
until every judge has hung up.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import itertools
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from autograder.loaded import leave, loading
from autograder.sandbox import linux, process
from autograder.sandbox.cgroups import ProcessCgroups, find_controllers
from autograder.sandbox.filesystem import runtime_paths
from autograder.sandbox.hugepages import collapse_anonymous_memory
from autograder.sandbox.limits import Limits
from autograder.sandbox.protocol import (
    BEGIN,
    JOIN,
    LAUNCH,
    ProtocolError,
    channel_pair,
    receive_message,
    send_message,
)
from autograder.sandbox.supervision import Supervised, output_pipe

_PROBE_SECONDS = 60.0
_CPU_POLL_SECONDS = 0.1
WARM_PACKAGES = ("torch", "matplotlib", "numpy", "PIL", "IPython")

T = TypeVar("T")
FileObject = int | socket.socket


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[1]))
    config = json.loads(argv[2])
    entry = _warm_up(config["entry"], json.loads(sys.stdin.buffer.read()))
    if config["huge_pages"]:
        # Each fork is cheaper with them, but they take half a second to build: built beside
        # the first launches (the kernel orders each fork with them), not before them.
        threading.Thread(target=collapse_anonymous_memory, name="huge-pages", daemon=True).start()
    server = ForkServer(Limits(**config["limits"]), tuple(config["hidden_paths"]), entry)
    try:
        greeting: dict[str, object] = {"layers": server.probe()}
    except ProbeFailed as failure:
        greeting = {"error": str(failure)}
    server.serve(control, greeting)


def import_what_every_student_needs() -> None:
    """Torch (on one thread), matplotlib drawing off screen with pyplot, and IPython's input
    transformations: imported before any fork, so that each student process starts with them
    loaded."""
    import matplotlib
    import torch

    torch.set_num_threads(1)
    matplotlib.use("Agg")
    importlib.import_module("matplotlib.pyplot")
    importlib.import_module("IPython.core.inputtransformer2")


def _warm_up(entry: str, preparation: dict[str, Any]) -> process.Entry:
    """Import what every student needs, so that each fork starts with it loaded; an entry
    module's own `prepare(**preparation)`, if it has one, makes what every student process
    shares."""
    with loading():  # frozen: the collector never touches, and so copies, inherited pages
        import_what_every_student_needs()
        module, _, function = entry.partition(":")
        loaded = importlib.import_module(module)
        prepare = getattr(loaded, "prepare", None)
        if callable(prepare):
            prepare(**preparation)
    return getattr(loaded, function)


def _discard(pid: int, cgroups: ProcessCgroups) -> None:
    """End a student process that is not supervised (the probe, or one that cannot be), and
    remove its cgroups."""
    os.kill(pid, signal.SIGKILL)  # unreaped until the next line, so still ours
    os.waitpid(pid, 0)
    cgroups.remove()


class ProbeFailed(Exception):
    """A confined process cannot do what every student's code needs; grading must not start."""


class ForkServer:
    """Forks student processes and watches them until they end."""

    def __init__(self, limits: Limits, hidden_paths: tuple[str, ...], entry: process.Entry):
        self._limits = limits
        self._hidden_paths = hidden_paths
        self._runtime_paths = runtime_paths(WARM_PACKAGES, hidden_paths)
        self._entry = entry
        self._required: tuple[str, ...] | None = None
        self._controllers = find_controllers(limits)
        self._names = (f"sandbox-{os.getpid()}-{number}" for number in itertools.count())
        self._own_pid_namespace = os.open("/proc/self/ns/pid", os.O_RDONLY)
        self._sink = os.open(os.devnull, os.O_WRONLY)
        self._selector = selectors.DefaultSelector()
        self._watched: set[Supervised] = set()
        self._judges = 0  # control connections still open
        self._greeting: dict[str, object] = {}

    def probe(self) -> list[str]:
        """Confine one throwaway student; what it managed becomes required of all others.
        A student whose code could not use torch or matplotlib is no use: fail loudly."""
        own_end, student_end = channel_pair()
        with own_end:
            # Never asked to run the entry, it says nothing on its confined descriptor.
            pid, cgroups = self._fork(student_end.fileno(), sys.stderr.fileno(), self._sink, None)
            student_end.close()
            try:
                report = receive_message(own_end, timeout=_PROBE_SECONDS)
            except ProtocolError as error:
                raise ProbeFailed(
                    f"a confined test process ended without reporting ({error})"
                ) from None
            finally:
                _discard(pid, cgroups)
        if report["runtime_problem"]:
            raise ProbeFailed(
                "student code cannot use the Python installation from inside the sandbox "
                f"({report['runtime_problem']}); the sandbox shows it "
                + ", ".join(self._runtime_paths)
            )
        self._required = tuple(report["layers"])
        return report["layers"]

    def serve(self, control: socket.socket, greeting: dict[str, object]) -> None:
        """Greet the judge on `control`, then launch on request until every judge has hung
        up, then kill whatever is left. A server whose probe failed (`greeting` says why)
        launches nothing, but still greets each judge that joins, so each one learns why."""
        self._greeting = greeting
        self._add_judge(control)
        next_cpu_check = time.monotonic()
        while self._judges:
            running = [w for w in self._watched if w.kill_reason is None and w.begun]
            wake = [w.deadline for w in running] + ([next_cpu_check] if running else [])
            timeout = max(0.0, min(wake) - time.monotonic()) if wake else None
            for key, _ in self._selector.select(timeout):
                if self._selector.get_map().get(key.fd) is key:  # not dropped by an earlier one
                    key.data()
            now = time.monotonic()
            check_cpu = now >= next_cpu_check
            if check_cpu:
                next_cpu_check = now + _CPU_POLL_SECONDS
            for watched in self._watched:
                # stopped already, waiting to be reaped; or not started, so no clock runs
                if watched.kill_reason is not None or not watched.begun:
                    continue
                if now >= watched.deadline:
                    watched.kill(watched.limit_at_deadline(now))
                elif check_cpu:
                    watched.note_cpu_wanted(now)
                    if watched.over_cpu_limit():
                        watched.kill("cpu_limit")
        for watched in list(self._watched):
            watched.kill("killed")
            self._end(watched)

    def _add_judge(self, control: socket.socket) -> None:
        try:
            send_message(control, self._greeting)
        except OSError:  # this judge hung up while the server started (Ctrl-C)
            control.close()
            return
        self._judges += 1
        self._watch(control, self._on_control, control)

    def _on_control(self, control: socket.socket) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(control, 64, 2)
        except OSError:
            message, fds = b"", []
        if message == LAUNCH and len(fds) == 2 and "layers" in self._greeting:
            self._launch(fds[0], socket.socket(fileno=fds[1]))
        elif message == JOIN and len(fds) == 1:
            self._add_judge(socket.socket(fileno=fds[0]))
        else:
            for fd in fds:
                os.close(fd)
        if not message:
            self._selector.unregister(control)
            control.close()
            self._judges -= 1

    def _launch(self, student_fd: int, report: socket.socket) -> None:
        try:
            watched = self._start(student_fd, report)
        except OSError as error:
            with contextlib.suppress(OSError):
                send_message(report, {"error": f"cannot start a student process: {error}"})
            report.close()
            return
        finally:
            os.close(student_fd)
        with contextlib.suppress(OSError):
            send_message(report, {"pid": watched.pid})
        self._watched.add(watched)
        for fileobj, handler in (
            (watched.output, self._on_output),
            (watched.pidfd, self._end),
            (watched.report, self._on_report),
        ):
            self._watch(fileobj, handler, watched)

    def _watch(self, fileobj: FileObject, handler: Callable[[T], None], argument: T) -> None:
        self._selector.register(fileobj, selectors.EVENT_READ, functools.partial(handler, argument))

    def _start(self, student_fd: int, report: socket.socket) -> Supervised:
        with contextlib.ExitStack() as on_failure:
            output, output_writer = output_pipe()
            on_failure.callback(os.close, output)
            with contextlib.ExitStack() as writers:  # the student's alone once it is forked
                writers.callback(os.close, output_writer)
                confined, confined_writer = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
                writers.callback(os.close, confined_writer)
                on_failure.callback(os.close, confined)
                pid, cgroups = self._fork(
                    student_fd, output_writer, confined_writer, self._required
                )
            on_failure.callback(_discard, pid, cgroups)
            supervised = Supervised(
                pid, report, output, confined, self._limits, cgroups, self._sink
            )
            on_failure.pop_all()
        return supervised

    def _fork(
        self, channel_fd: int, output_fd: int, confined_fd: int, required: tuple[str, ...] | None
    ) -> tuple[int, ProcessCgroups]:
        """Fork a student as pid 1 of a new pid namespace, then step back into our own."""
        cgroups = ProcessCgroups(self._controllers, next(self._names))
        setup = process.ProcessSetup(
            self._limits, self._runtime_paths, self._hidden_paths, self._entry, required
        )
        try:
            linux.unshare(linux.CLONE_NEWPID)
            new_namespace = True
        except OSError:
            new_namespace = False
        try:
            pid = os.fork()
            if pid == 0:
                process.run(setup, channel_fd, output_fd, confined_fd, cgroups)
        except OSError:
            cgroups.remove()
            raise
        finally:
            if new_namespace:
                linux.setns(self._own_pid_namespace, linux.CLONE_NEWPID)
        return pid, cgroups

    def _on_output(self, watched: Supervised) -> None:
        if not watched.drain():
            self._selector.unregister(watched.output)

    def _on_report(self, watched: Supervised) -> None:
        """`BEGIN` from the judge on this socket starts the process's clock; any other word,
        or its closing, means: finish it."""
        word = b""
        with contextlib.suppress(OSError):
            word = watched.report.recv(64, socket.MSG_DONTWAIT)
        if word == BEGIN and not watched.begun:
            watched.begin(time.monotonic())
            return
        self._selector.unregister(watched.report)
        watched.kill("killed")

    def _end(self, watched: Supervised) -> None:
        """The student process has ended (or is about to): reap it and report."""
        watched.reap()
        for fileobj in (watched.output, watched.pidfd, watched.report):
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(fileobj)
        watched.report_outcome()
        self._watched.discard(watched)


if __name__ == "__main__":
    main(sys.argv)
    # Nothing is left to release; tearing down torch's modules would only keep the judge,
    # which waits for this process to end, waiting a fifth of a second longer.
    leave(0)
