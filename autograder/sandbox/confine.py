"""The confinement a student process puts itself in before any student code runs.

Runs in the freshly forked student process while it is still root, and returns the names of
the layers that were actually set up. A step that fails is left out of the list rather than
papered over; the caller decides whether what is left is enough.
"""

from __future__ import annotations

import os
import resource
import signal
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from autograder.sandbox import linux, seccomp
from autograder.sandbox.limits import Limits

NOBODY = 65534
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
PRIVATE_DIR_OPTIONS = "size=64m,mode=1777"
STUDENT_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
}
_OTHER_NAMESPACES = {
    "network-namespace": linux.CLONE_NEWNET,
    "ipc-namespace": linux.CLONE_NEWIPC,
    "uts-namespace": linux.CLONE_NEWUTS,
}
_QUIET_MOUNT = linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC


def confine(
    limits: Limits, runtime_paths: Sequence[str], hidden_paths: Sequence[str], pids_cgroup: bool
) -> list[str]:
    """Apply every layer this machine allows, in the order the kernel requires."""
    layers = ["pid-namespace"] if os.getpid() == 1 else []
    layers += [name for name, flag in _OTHER_NAMESPACES.items() if _succeeds(linux.unshare, flag)]
    if _private_mount_namespace():
        _expose_runtime(runtime_paths)
        layers += ["mount-namespace", *_mounts(hidden_paths, layers)]
    layers += _limit_resources(limits, pids_cgroup)
    if _become_nobody():
        layers.append("non-root-uid")
    if _succeeds(linux.prctl, linux.PR_SET_NO_NEW_PRIVS, 1):
        layers.append("no-new-privs")
        if _succeeds(seccomp.install):
            layers.append("seccomp")
    # Both are reset by the uid change. Dumpable keeps /proc/self readable by the student
    # itself (nothing in its memory is secret); the death signal ties it to its supervisor.
    linux.prctl(linux.PR_SET_DUMPABLE, 1)
    linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGKILL)
    os.chdir("/tmp")
    os.environ.clear()
    os.environ.update(STUDENT_ENVIRONMENT)
    return layers


def _succeeds(call: Callable[..., object], *arguments: object) -> bool:
    try:
        call(*arguments)
    except OSError:
        return False
    return True


def _private_mount_namespace() -> bool:
    """A mount namespace whose mounts never propagate back to the host."""
    try:
        linux.unshare(linux.CLONE_NEWNS)
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
    except OSError:
        return False
    return True


def _expose_runtime(runtime_paths: Sequence[str]) -> None:
    """Let uid 65534 reach the Python installation even where it sits below a private
    directory (pyenv in a 0700 /root): cover that directory with an empty tmpfs and bind the
    installation back into it, so nothing else in there becomes visible.

    Unlike the layers, a failure here is an error: a student process that cannot import the
    standard library cannot run anything."""
    covered: dict[Path, list[str]] = {}
    for path in runtime_paths:
        closed = _outermost_closed_ancestor(Path(path))
        if closed is not None:
            covered.setdefault(closed, []).append(path)
    for directory, paths in covered.items():
        handles = {path: os.open(path, os.O_PATH) for path in paths}
        linux.mount("tmpfs", str(directory), "tmpfs", _QUIET_MOUNT, "size=64k,mode=755")
        for path, handle in handles.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            linux.mount(f"/proc/self/fd/{handle}", path, None, linux.MS_BIND | linux.MS_REC)
            os.close(handle)


def _outermost_closed_ancestor(path: Path) -> Path | None:
    for ancestor in reversed(path.parents):
        if not os.stat(ancestor).st_mode & stat.S_IXOTH:
            return ancestor
    return None


def _mounts(hidden_paths: Sequence[str], layers: list[str]) -> list[str]:
    added = []
    if _succeeds(linux.make_tree_read_only, "/"):
        added.append("read-only-root")
    if "pid-namespace" in layers and _mounted("proc", "/proc", "proc", _QUIET_MOUNT):
        added.append("private-proc")
    private = [path for path in PRIVATE_DIRS if os.path.isdir(path)]
    flags = linux.MS_NOSUID | linux.MS_NODEV
    if all(_mounted("tmpfs", path, "tmpfs", flags, PRIVATE_DIR_OPTIONS) for path in private):
        added.append("private-tmp")
    if hidden_paths and all(_hide(path) for path in _deepest_first(hidden_paths)):
        added.append("hidden-paths")
    return added


def _mounted(source: str, target: str, fstype: str, flags: int, data: str = "") -> bool:
    return _succeeds(linux.mount, source, target, fstype, flags, data)


def _deepest_first(paths: Sequence[str]) -> list[str]:
    """Inner paths first, so that hiding an outer one later covers them too."""
    return sorted(paths, key=lambda path: len(Path(path).parts), reverse=True)


def _hide(path: str) -> bool:
    """Cover a directory with an empty read-only tmpfs, or a file with /dev/null."""
    if os.path.isdir(path):
        return _mounted("tmpfs", path, "tmpfs", _QUIET_MOUNT | linux.MS_RDONLY, "size=4k,mode=755")
    if os.path.lexists(path):
        return _mounted("/dev/null", path, None, linux.MS_BIND)
    return True  # nothing there to hide (a private /tmp may already have covered it)


def _limit_resources(limits: Limits, pids_cgroup: bool) -> list[str]:
    """Hard rlimits. The address-space cap adds the student's allowance to what the fork
    server already mapped (torch reserves a lot of virtual memory it never touches)."""
    try:
        ceilings = {
            resource.RLIMIT_CPU: limits.cpu_seconds,
            resource.RLIMIT_AS: _mapped_bytes() + limits.memory_bytes,
            resource.RLIMIT_FSIZE: limits.file_size_bytes,
            resource.RLIMIT_NOFILE: limits.open_files,
            resource.RLIMIT_CORE: 0,
        }
        if not pids_cgroup:  # counts every process of the uid, across students: a fallback
            ceilings[resource.RLIMIT_NPROC] = limits.max_processes
        for kind, value in ceilings.items():
            resource.setrlimit(kind, (value, value))
    except (OSError, ValueError):
        return []
    return ["rlimits"]


def _mapped_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmSize in /proc/self/status")


def _become_nobody() -> bool:
    """Drop to uid/gid 65534 with no supplementary groups; root keeps no capabilities."""
    try:
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    except OSError:
        return False
    return os.getresuid() == (NOBODY,) * 3
