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
def on_one_cpu() -> Iterator[int]:
    """This process, every thread of it, kept to one CPU (the first it may use), as is all it
    starts meanwhile: a load put there then loads the whole of the code under test, and the
    suite's other worker keeps the other CPUs rather than sharing them with the load."""
    allowed = os.sched_getaffinity(0)
    cpu = min(allowed)
    threads = [int(thread) for thread in os.listdir("/proc/self/task")]
    for thread in threads:
        os.sched_setaffinity(thread, {cpu})
    try:
        yield cpu
    finally:
        for thread in threads:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(thread, allowed)


@contextlib.contextmanager
def loaded_machine(busy_per_cpu: int) -> Iterator[None]:
    """Endless loops outside the sandbox, `busy_per_cpu` for each CPU this process may run on
    (where they run too), each in a session of its own as a neighbour's student is: the
    scheduler shares the CPU between sessions first (autogroups), so loops in one session
    would weigh as one."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range(busy_per_cpu * len(os.sched_getaffinity(0)))
    ]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
