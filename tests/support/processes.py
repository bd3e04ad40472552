"""Processes that tests start beside the kit: stopping servers and browsers, and loading the
machine."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator


def stop(process: subprocess.Popen, seconds: float) -> None:
    """Ask `process` to end, and kill it if it has not after `seconds`."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def loaded_machine(busy_per_cpu: int) -> Iterator[None]:
    """Endless loops outside the sandbox, `busy_per_cpu` for each CPU of the machine, each in
    a session of its own as a neighbour's student is: the scheduler shares the CPU between
    sessions first (autogroups), so loops in one session would weigh as one."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range(busy_per_cpu * (os.cpu_count() or 1))
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
