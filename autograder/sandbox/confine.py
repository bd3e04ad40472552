"""The confinement a student process puts itself in before any student code runs.

Runs in the freshly forked student process while it is still root, and returns the names of
the layers that were actually set up. A step that fails is left out of the list rather than
papered over; the caller decides whether what is left is enough.
"""

from __future__ import annotations

import contextlib
import math
import os
import resource
import signal
from collections.abc import Callable, Sequence

from autograder.sandbox import filesystem, linux, seccomp
from autograder.sandbox.limits import Limits

NOBODY = 65534
STUDENT_ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
}
_OTHER_NAMESPACES = {
    "network-namespace": linux.CLONE_NEWNET,
    "ipc-namespace": linux.CLONE_NEWIPC,
    "uts-namespace": linux.CLONE_NEWUTS,
}


def confine(
    limits: Limits, runtime_paths: Sequence[str], hidden_paths: Sequence[str], pids_cgroup: bool
) -> list[str]:
    """Apply every layer this machine allows, in the order the kernel requires."""
    mapped = _mapped_bytes()  # read while the host's /proc is still there
    layers = ["pid-namespace"] if os.getpid() == 1 else []
    layers += [name for name, flag in _OTHER_NAMESPACES.items() if _succeeds(linux.unshare, flag)]
    if _private_mount_namespace():
        layers.append("mount-namespace")
        layers += _allow_list_root(runtime_paths, hidden_paths, "pid-namespace" in layers)
    layers += _limit_resources(limits, pids_cgroup, mapped)
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
    with contextlib.suppress(OSError):  # already there inside the allow-list root
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


def _allow_list_root(runtime: Sequence[str], hidden: Sequence[str], own_proc: bool) -> list[str]:
    """Swap the host's tree for one that holds only the runtime (see `filesystem`). Where the
    kernel refuses a step, the layer is left out; the probe then shows it missing."""
    made = filesystem.plan(runtime, hidden)
    try:
        filesystem.build(made, "/tmp", with_proc=own_proc)
    except OSError:
        return []
    finally:
        made.close()
    added = ["allow-list-root", "private-tmp"]
    return added + (["private-proc"] if own_proc else []) + (["hidden-paths"] if hidden else [])


def _limit_resources(limits: Limits, pids_cgroup: bool, mapped: int) -> list[str]:
    """Hard rlimits. The address-space cap adds the student's allowance to what the fork
    server already mapped (torch reserves a lot of virtual memory it never touches). The CPU
    rlimit binds each process on its own, a second after the cgroup's total would have."""
    try:
        ceilings = {
            resource.RLIMIT_CPU: math.ceil(limits.cpu_seconds) + 1,
            resource.RLIMIT_AS: mapped + limits.memory_bytes,
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
