"""The life of one student process, from the fork server's fork to its exit."""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from autograder.sandbox.cgroups import ProcessCgroups
from autograder.sandbox.confine import confine
from autograder.sandbox.limits import Limits
from autograder.sandbox.protocol import receive_message, send_message
from autograder.sandbox.runtime import runtime_problem

CHANNEL_FD = 3
# Written once and closed just before the entry runs: the process was set up as required.
# No code of a student's ever holds it, so no student can say it, nor keep it from being said.
CONFINED_FD = 4
CONFINED = b"\x01"
SETUP_FAILED = 125

Entry = Callable[[socket.socket, dict[str, Any]], object]


@dataclass(frozen=True)
class ProcessSetup:
    """What a student process is told by the fork server; nothing in it is secret."""

    limits: Limits
    runtime_paths: tuple[str, ...]  # the Python installation and sys.path, made reachable
    hidden_paths: tuple[str, ...]
    entry: Entry
    required_layers: tuple[str, ...] | None  # None: report the layers instead of running


def run(
    setup: ProcessSetup, channel_fd: int, output_fd: int, confined_fd: int, cgroups: ProcessCgroups
) -> NoReturn:
    """Confine this freshly forked process, then hand it to the entry; never returns.

    The payload is the first message on the channel: it goes from the judge to the student
    directly, so the fork server never holds one student's data when it forks the next.
    Before the entry runs, `CONFINED` goes to `confined_fd`, for the fork server to tell a
    sandbox that failed to set a process up from code that ended it.
    """
    code = SETUP_FAILED
    try:
        _arrange_fds(channel_fd, output_fd, confined_fd)
        channel = socket.socket(fileno=CHANNEL_FD)
        layers = cgroups.join()
        layers += confine(
            setup.limits, setup.runtime_paths, setup.hidden_paths, "pids-cgroup" in layers
        )
        if setup.required_layers is None:
            send_message(channel, {"layers": layers, "runtime_problem": runtime_problem()})
            code = 0
        elif missing := [layer for layer in setup.required_layers if layer not in layers]:
            print(f"sandbox: could not set up {', '.join(missing)}; not running", file=sys.stderr)
        else:
            os.write(CONFINED_FD, CONFINED)
            os.close(CONFINED_FD)
            code = _call(setup.entry, channel, receive_message(channel))
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _arrange_fds(channel_fd: int, output_fd: int, confined_fd: int) -> None:
    """stdin from /dev/null, stdout and stderr into the supervisor's pipe, the channel on
    fd 3, the word that it was confined on fd 4, and nothing else: no descriptor of the fork
    server survives. Each is first copied above those numbers, so that none is overwritten
    before it is moved, whatever numbers the server had them under."""
    above = CONFINED_FD + 1
    output, channel, confined = (
        fcntl.fcntl(fd, fcntl.F_DUPFD, above) for fd in (output_fd, channel_fd, confined_fd)
    )
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(channel, CHANNEL_FD)
    os.dup2(confined, CONFINED_FD)
    os.closerange(above, os.sysconf("SC_OPEN_MAX"))


def _call(entry: Entry, channel: socket.socket, payload: dict[str, Any]) -> int:
    try:
        entry(channel, payload)
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0
