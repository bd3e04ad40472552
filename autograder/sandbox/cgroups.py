"""Per-student cgroups: one memory ceiling, one process count, one CPU share for everything a
student starts, and the CPU time it used.

Rlimits bind each process on its own (every child a student forks gets a fresh allowance),
and RLIMIT_NPROC counts all processes of a uid, which concurrent students share. A cgroup
per student process covers its whole tree instead; a student who forks thirty busy children,
each in a session of its own, still gets one CPU between them. Both layouts are handled: cgroup
v1 hierarchies, and cgroup v2 when the controllers are delegated to the server's cgroup.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.sandbox.limits import Limits

_UNIFIED = ""  # key of the cgroup v2 hierarchy in the tables below
_CPU_PERIOD_MICROSECONDS = 100_000


@dataclass(frozen=True)
class Controller:
    """Where per-student cgroups of one controller go, and what is written into each."""

    layer: str
    parent: Path
    settings: tuple[tuple[str, str], ...]
    usage_file: str | None = None  # where the tree's CPU time is read, if this layer counts it


@dataclass(frozen=True)
class _Wanted:
    layer: str
    v1: tuple[tuple[str, str], ...]
    v2: tuple[tuple[str, str], ...]
    v1_usage: str | None = None
    v2_usage: str | None = None
    needs_delegation: bool = True  # v2: the controller must be enabled for children


def _wanted(limits: Limits) -> dict[str, _Wanted]:
    memory = str(limits.memory_bytes)
    quota = str(max(1000, int(limits.cpus * _CPU_PERIOD_MICROSECONDS)))
    period = str(_CPU_PERIOD_MICROSECONDS)
    return {
        "memory": _Wanted(
            "memory-cgroup",
            (("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory)),
            (("memory.max", memory), ("memory.swap.max", "0")),
        ),
        "pids": _Wanted(
            "pids-cgroup",
            (("pids.max", str(limits.max_processes)),),
            (("pids.max", str(limits.max_processes)),),
        ),
        "cpu": _Wanted(
            "cpu-quota",
            (("cpu.cfs_period_us", period), ("cpu.cfs_quota_us", quota)),
            (("cpu.max", f"{quota} {period}"),),
        ),
        "cpuacct": _Wanted(
            "cpu-accounting",
            (),
            (),
            v1_usage="cpuacct.usage",
            v2_usage="cpu.stat",
            needs_delegation=False,  # v2 counts CPU time in every cgroup
        ),
    }


def find_controllers(limits: Limits) -> list[Controller]:
    """The controllers this process may create child cgroups under."""
    mounts = _hierarchy_mounts()
    own = _own_cgroups()
    found = []
    for name, wanted in _wanted(limits).items():
        if name in mounts and name in own:
            parent = _below(mounts[name], own[name])
            settings, usage = wanted.v1, wanted.v1_usage
        elif _UNIFIED in mounts and _UNIFIED in own:
            parent = _below(mounts[_UNIFIED], own[_UNIFIED])
            settings, usage = wanted.v2, wanted.v2_usage
            if parent is not None and wanted.needs_delegation and name not in _delegated(parent):
                parent = None
        else:
            parent = None
        if parent is not None and os.access(parent, os.W_OK):
            found.append(Controller(wanted.layer, parent, settings, usage))
    return found


def _hierarchy_mounts() -> dict[str, tuple[str, str]]:
    """(mount point, root) of each cgroup hierarchy, by v1 controller name or _UNIFIED."""
    mounts = {}
    with open("/proc/self/mountinfo") as table:
        for line in table:
            fields = line.split()
            tail = fields[fields.index("-") + 1 :]
            if tail[0] == "cgroup2":
                mounts[_UNIFIED] = (fields[4], fields[3])
            elif tail[0] == "cgroup":
                for option in tail[2].split(","):
                    mounts[option] = (fields[4], fields[3])
    return mounts


def _own_cgroups() -> dict[str, str]:
    own = {}
    with open("/proc/self/cgroup") as table:
        for line in table:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for name in controllers.split(",") if controllers else [_UNIFIED]:
                own[name] = path
    return own


def _below(mount: tuple[str, str], path: str) -> Path | None:
    mount_point, root = mount
    try:
        return Path(mount_point) / PurePosixPath(path).relative_to(root)
    except ValueError:
        return None


def _delegated(directory: Path) -> list[str]:
    try:
        return (directory / "cgroup.subtree_control").read_text().split()
    except OSError:
        return []


def _made_afresh(directory: Path) -> None:
    """Make a student's cgroup. One of the same name can only have been left by a fork
    server that was killed (the names hold the server's pid, which the system has since
    given to this one): removed first, since its counters (CPU used, memory peak) are not
    this student's; one that still holds a process cannot be removed, and the layer is
    left out."""
    try:
        directory.mkdir()
    except FileExistsError:
        directory.rmdir()
        directory.mkdir()


class ProcessCgroups:
    """The cgroups of one student process: made by the server, joined by the student."""

    def __init__(self, controllers: list[Controller], name: str) -> None:
        self._layers: dict[Path, list[str]] = {}
        self._usage: Path | None = None
        for controller in controllers:
            directory = controller.parent / name
            try:
                if directory not in self._layers:  # v2: one directory for every controller
                    _made_afresh(directory)
                    self._layers[directory] = []
                for file, value in controller.settings:
                    if (directory / file).exists():
                        (directory / file).write_text(value)
            except OSError:
                continue
            self._layers[directory].append(controller.layer)
            if controller.usage_file and self._usage is None:
                self._usage = directory / controller.usage_file

    def join(self) -> list[str]:
        """Move the calling process in; called by the student while still root."""
        joined = []
        for directory, layers in self._layers.items():
            if layers:
                try:
                    (directory / "cgroup.procs").write_text("0")
                except OSError:
                    continue
                joined += layers
        return joined

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by every process in the student's tree, if it is counted."""
        if self._usage is None:
            return None
        try:
            text = self._usage.read_text()
        except OSError:
            return None
        if self._usage.name == "cpu.stat":
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
            return None
        return int(text) / 1e9

    def thread_ids(self) -> list[int] | None:
        """Every live thread of the student's tree, as its cgroups list them (a child that
        joined a session of its own included); None when it is in none."""
        found: set[int] = set()
        listed = False
        for directory in (directory for directory, layers in self._layers.items() if layers):
            for listing in ("tasks", "cgroup.threads"):  # v1, v2
                try:
                    text = (directory / listing).read_text()
                except OSError:
                    continue
                listed = True
                found.update(int(tid) for tid in text.split())
        return sorted(found) if listed else None

    def remove(self) -> None:
        """Delete the cgroups once their processes are reaped (the kernel may lag a moment)."""
        for directory in self._layers:
            for _ in range(50):
                try:
                    directory.rmdir()
                except OSError as error:
                    if error.errno == errno.EBUSY:
                        time.sleep(0.002)
                        continue
                break
        self._layers.clear()
        self._usage = None
