"""The life of one student process, from the fork server's fork to its exit."""

from __future__ import annotations

import contextlib
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


def run(setup: ProcessSetup, channel_fd: int, output_fd: int, cgroups: ProcessCgroups) -> NoReturn:
    """Confine this freshly forked process, then hand it to the entry; never returns.

    The payload is the first message on the channel: it goes from the judge to the student
    directly, so the fork server never holds one student's data when it forks the next.
    """
    code = SETUP_FAILED
    try:
        _arrange_fds(channel_fd, output_fd)
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
            code = _call(setup.entry, channel, receive_message(channel))
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _arrange_fds(channel_fd: int, output_fd: int) -> None:
    """stdin from /dev/null, stdout and stderr into the supervisor's pipe, the channel on
    fd 3, and nothing else: no descriptor of the fork server survives."""
    stdin = os.open(os.devnull, os.O_RDONLY)
    os.dup2(stdin, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(channel_fd, CHANNEL_FD)
    os.closerange(CHANNEL_FD + 1, os.sysconf("SC_OPEN_MAX"))


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
