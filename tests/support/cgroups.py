"""Cgroups a fork server cannot make for its next students: made beforehand under their
names, each holding a process, so that the sandbox fails to set those students up."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from autograder.sandbox import Sandbox
from autograder.sandbox.cgroups import find_controllers


def next_cgroup_names(sandbox: Sandbox, count: int) -> list[str]:
    """The cgroup names of the next `count` students `sandbox` launches (it names them by
    its pid and a count), learnt from one student launched and finished here. `sandbox` must
    be one that forks no student ahead of its turn (made for one launch), or the next names
    would be those of students it forks later than they are launched."""
    student = sandbox.launch({})
    try:
        server = psutil.Process(student.pid).ppid()
        parent = find_controllers(sandbox.limits)[0].parent
        numbers = [
            int(folder.name.rsplit("-", 1)[1]) for folder in parent.glob(f"sandbox-{server}-*")
        ]
    finally:
        student.finish()
    return [f"sandbox-{server}-{max(numbers) + step}" for step in range(1, count + 1)]


@contextlib.contextmanager
def held_cgroups(sandbox: Sandbox, count: int) -> Iterator[None]:
    """The next `count` students' cgroups of one controller, each holding a process: the
    server can neither make nor remove them, so it cannot set those students up. Skips
    where students get no cgroup layer: there is nothing to hold."""
    controllers = find_controllers(sandbox.limits)
    if not controllers or controllers[0].layer not in sandbox.layers:
        pytest.skip("not available on this machine: per-student cgroups")
    folders = [controllers[0].parent / name for name in next_cgroup_names(sandbox, count)]
    holders: list[subprocess.Popen[bytes]] = []
    try:
        for folder in folders:
            folder.mkdir()
            holders.append(subprocess.Popen(["sleep", "600"]))
            (folder / "cgroup.procs").write_text(str(holders[-1].pid))
        yield
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()
        for folder in folders:
            _removed(folder)


def _removed(folder: Path) -> None:
    """Remove a cgroup once its killed holder has left it (the kernel takes a moment)."""
    for _ in range(100):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.05)
    folder.rmdir()
