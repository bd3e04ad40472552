"""What a student process sees of the file system: an allow-list, and nothing else.

The student's root is a fresh tmpfs, read-only, that holds only
- the Python runtime: the interpreter's installation trees, the directories its warm packages
  were imported from, and the system library directories their extension modules load from,
  each bound read-only at the same path as on the host, wherever it is installed;
- `/etc` with the loader's cache and a passwd line for the student's uid;
- `/dev` with null, zero, full, random and urandom, and a private `/dev/shm`;
- a private, empty `/tmp` and `/var/tmp` (the working directory), and the `/proc` of the
  student's own pid namespace.
Home directories, other projects, the course, the grader's own code: none of it exists inside.
The plan is made from the host's view before anything is mounted, so a runtime installed under
`/tmp` stays reachable after `/tmp` is replaced by the student's private one.
"""

from __future__ import annotations

import contextlib
import os
import site
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from autograder.sandbox import linux

LIBRARY_DIRS = (
    "/lib",
    "/lib64",
    "/lib32",
    "/usr/lib",
    "/usr/lib64",
    "/usr/lib32",
    "/usr/local/lib",
)
LOADER_FILES = ("/etc/ld.so.cache",)
DEVICES = ("null", "zero", "full", "random", "urandom")
PRIVATE_DIRS = {"/tmp": "size=64m,mode=1777", "/var/tmp": "size=16m,mode=1777"}
SHARED_MEMORY = ("/dev/shm", "size=64m,mode=1777")
PASSWD = "nobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"
GROUP = "nogroup:x:65534:\n"
_MAX_LINKS = 40
_READ_ONLY = linux.MOUNT_ATTR_RDONLY | linux.MOUNT_ATTR_NOSUID | linux.MOUNT_ATTR_NODEV
_QUIET = linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC


def runtime_paths(warm_packages: Iterable[str], excluded: Sequence[str]) -> tuple[str, ...]:
    """The directories the student's Python needs, as the fork server sees them.

    Installation prefixes and site directories, the import-path entries that hold the packages
    the server imported (torch, matplotlib, ...), and the directories of every shared library
    mapped into the server. Entries equal to or inside `excluded` (the grader's own checkout,
    the working directory) are left out.
    """
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix, *LIBRARY_DIRS}
    candidates.update(site.getsitepackages())
    for name in warm_packages:
        module = sys.modules.get(name)
        location = getattr(module, "__file__", None)
        if location:
            candidates.add(os.path.dirname(os.path.dirname(os.path.abspath(location))))
    candidates.update(_mapped_library_dirs())
    outside = [os.path.abspath(path) for path in excluded]
    kept = {
        os.path.abspath(path)
        for path in candidates
        if path
        and os.path.isdir(path)
        and os.path.realpath(path) != "/"  # never the whole host
        and not any(_within(path, other) for other in outside)
    }
    return tuple(sorted(kept))


def _mapped_library_dirs() -> set[str]:
    found = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and ".so" in fields[5]:
                found.add(os.path.dirname(fields[5].strip()))
    return found


def _within(path: str, other: str) -> bool:
    path, other = os.path.abspath(path), os.path.abspath(other)
    return path == other or path.startswith(other.rstrip("/") + "/")


@dataclass
class Plan:
    """Symlinks to recreate and trees to bind, worked out from the host before any mount."""

    links: dict[str, str] = field(default_factory=dict)  # path -> what it points to
    binds: dict[str, int] = field(default_factory=dict)  # real path -> O_PATH descriptor
    files: dict[str, int] = field(default_factory=dict)  # single files to bind
    hidden: list[tuple[str, bool]] = field(default_factory=list)  # (path, is a directory)

    def close(self) -> None:
        for descriptor in [*self.binds.values(), *self.files.values()]:
            with contextlib.suppress(OSError):
                os.close(descriptor)


def plan(runtime: Sequence[str], hidden: Sequence[str]) -> Plan:
    """Resolve every path the student may see, following symlinks the way the kernel would."""
    made = Plan()
    trees: set[str] = set()
    for path in runtime:
        real = _resolve(path, made.links)
        if real is not None and os.path.isdir(real):
            trees.add(real)
    outermost = [tree for tree in trees if not any(_within(tree, o) and tree != o for o in trees)]
    for tree in sorted(outermost):
        made.binds[tree] = os.open(tree, os.O_PATH | os.O_DIRECTORY)
    made.links = {
        link: target
        for link, target in made.links.items()
        if not any(_within(link, tree) for tree in outermost)
    }
    for path in LOADER_FILES:
        if os.path.isfile(path):
            made.files[path] = os.open(path, os.O_PATH)
    for path in hidden:
        if any(_within(path, tree) for tree in outermost) and os.path.lexists(path):
            made.hidden.append((path, os.path.isdir(path)))
    return made


def _resolve(path: str, links: dict[str, str]) -> str | None:
    """The real path of `path`, noting each symlink met on the way (to recreate it inside)."""
    pending = [part for part in os.path.abspath(path).split("/") if part]
    current = "/"
    for _ in range(_MAX_LINKS):
        while pending:
            step = os.path.join(current, pending.pop(0))
            if os.path.islink(step):
                target = os.readlink(step)
                links[step] = target
                resolved = target if target.startswith("/") else os.path.join(current, target)
                pending = [part for part in os.path.normpath(resolved).split("/") if part] + pending
                current = "/"
                break
            if not os.path.lexists(step):
                return None
            current = step
        else:
            return current
    return None


def build(made: Plan, mount_point: str, with_proc: bool) -> None:
    """Mount the student's root at `mount_point` from `made`, then make it the root."""
    linux.mount("tmpfs", mount_point, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, "size=1m,mode=755")
    root = mount_point.rstrip("/")
    for directory, options in (*PRIVATE_DIRS.items(), SHARED_MEMORY):
        _directory(root + directory)
        linux.mount("tmpfs", root + directory, "tmpfs", _QUIET, options)
    for tree, descriptor in made.binds.items():
        _bind(descriptor, root + tree, directory=True)
        linux.set_mount_attributes(root + tree, _READ_ONLY)
    for link, target in made.links.items():
        _directory(os.path.dirname(root + link))
        if not os.path.lexists(root + link):
            os.symlink(target, root + link)
    _etc(root, made.files)
    _devices(root)
    for path, is_directory in made.hidden:
        _cover(root + path, is_directory)
    if with_proc:
        _directory(root + "/proc")
        linux.mount("proc", root + "/proc", "proc", _QUIET)
    _pivot(root)
    linux.set_mount_attributes("/", _READ_ONLY, recursive=False)
    os.chdir("/tmp")


def _directory(path: str) -> None:
    os.makedirs(path, mode=0o755, exist_ok=True)


def _bind(descriptor: int, target: str, directory: bool) -> None:
    if directory:
        _directory(target)
    else:
        _directory(os.path.dirname(target))
        with open(target, "a"):
            pass
    linux.mount(f"/proc/self/fd/{descriptor}", target, None, linux.MS_BIND | linux.MS_REC)


def _etc(root: str, files: dict[str, int]) -> None:
    _directory(root + "/etc")
    for name, text in (("passwd", PASSWD), ("group", GROUP)):
        with open(f"{root}/etc/{name}", "w") as stream:
            stream.write(text)
    for path, descriptor in files.items():
        _bind(descriptor, root + path, directory=False)
        linux.set_mount_attributes(root + path, _READ_ONLY, recursive=False)


def _devices(root: str) -> None:
    for name in DEVICES:
        device = os.open(f"/dev/{name}", os.O_PATH)
        try:
            _bind(device, f"{root}/dev/{name}", directory=False)
        finally:
            os.close(device)
        linux.set_mount_attributes(
            f"{root}/dev/{name}", linux.MOUNT_ATTR_NOSUID | linux.MOUNT_ATTR_NOEXEC, False
        )
    for name, target in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(target, f"{root}/dev/{name}")


def _cover(path: str, is_directory: bool) -> None:
    """An empty read-only directory, or /dev/null, over something inside a runtime tree."""
    if is_directory:
        linux.mount("tmpfs", path, "tmpfs", _QUIET | linux.MS_RDONLY, "size=4k,mode=755")
    else:
        linux.mount("/dev/null", path, None, linux.MS_BIND)


def _pivot(root: str) -> None:
    """Make `root` the root directory and let go of the host's tree entirely."""
    old = root + "/.host"
    _directory(old)
    linux.pivot_root(root, old)
    os.chdir("/")
    linux.umount("/.host", linux.MNT_DETACH)
    os.rmdir("/.host")
