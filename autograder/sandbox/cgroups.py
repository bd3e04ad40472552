"""Per-student cgroups: one memory ceiling and one process count for all a student starts.

Rlimits bind each process on its own (every child a student forks gets a fresh allowance),
and RLIMIT_NPROC counts all processes of a uid, which concurrent students share. A cgroup
per student process covers its whole tree instead. Both layouts are handled: cgroup v1
hierarchies, and cgroup v2 when the controllers are delegated to the server's cgroup.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.sandbox.limits import Limits

_UNIFIED = ""  # key of the cgroup v2 hierarchy in the tables below


@dataclass(frozen=True)
class Controller:
    """Where per-student cgroups of one controller go, and what is written into each."""

    layer: str
    parent: Path
    settings: tuple[tuple[str, int], ...]


def find_controllers(limits: Limits) -> list[Controller]:
    """The memory and pids controllers this process may create child cgroups under."""
    mounts = _hierarchy_mounts()
    own = _own_cgroups()
    memory = limits.memory_bytes
    wanted = {
        "memory": (
            "memory-cgroup",
            (("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory)),
            (("memory.max", memory), ("memory.swap.max", 0)),
        ),
        "pids": (
            "pids-cgroup",
            (("pids.max", limits.max_processes),),
            (("pids.max", limits.max_processes),),
        ),
    }
    found = []
    for name, (layer, v1_settings, v2_settings) in wanted.items():
        if name in mounts and name in own:
            parent, settings = _below(mounts[name], own[name]), v1_settings
        elif _UNIFIED in mounts and _UNIFIED in own:
            parent = _below(mounts[_UNIFIED], own[_UNIFIED])
            settings = v2_settings
            if parent is not None and name not in _delegated(parent):
                parent = None
        else:
            parent = None
        if parent is not None and os.access(parent, os.W_OK):
            found.append(Controller(layer, parent, settings))
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


class StudentCgroups:
    """The cgroups of one student process: made by the server, joined by the student."""

    def __init__(self, controllers: list[Controller], name: str) -> None:
        self._layers: dict[Path, list[str]] = {}
        for controller in controllers:
            directory = controller.parent / name
            try:
                directory.mkdir(exist_ok=directory in self._layers)
                self._layers.setdefault(directory, [])
                for file, value in controller.settings:
                    if (directory / file).exists():
                        (directory / file).write_text(str(value))
            except OSError:
                continue
            self._layers[directory].append(controller.layer)

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
