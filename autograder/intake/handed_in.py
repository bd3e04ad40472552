"""What one student handed in, as a person opening their folder sees it.

Operating systems and Jupyter leave files behind that nobody hands in on purpose: macOS's
`__MACOSX/`, `._*` and `.DS_Store`, Windows's `Thumbs.db` and `desktop.ini`, Jupyter's
`.ipynb_checkpoints/` and `.virtual_documents/`. They are left out without a word (`is_junk`).
Everything else is kept with the name the student gave it, including what cannot be used —
a symbolic link (never followed), a pipe or device (never opened), a hidden folder (not looked
into), a folder that cannot be read — with the reason, so that it is listed rather than lost.
A walk looks at no more than `MAX_ENTRIES` entries of one student's, however the tree is made,
notebooks first.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "ehthumbs.db", "desktop.ini", "Desktop.ini"})
JUNK_FOLDERS = frozenset(
    {"__MACOSX", ".ipynb_checkpoints", ".virtual_documents", "__pycache__", "$RECYCLE.BIN"}
)
MAX_ENTRIES = 2000  # files and folders looked at in one student's submission
MAX_SMALL_FILE = 4096  # bytes of a timestamp or a secret


def is_junk(name: str) -> bool:
    """A file or folder an operating system or Jupyter made, not the student."""
    return name in JUNK_FILES or name in JUNK_FOLDERS or name.startswith("._")


@dataclass(frozen=True)
class HandedIn:
    """One entry of a student's submission."""

    path: Path
    name: str  # as the student named it: its path inside what they handed in, with `/`
    unusable: str = ""  # why it cannot be read as a file; "" when it can
    is_folder: bool = False  # a folder that was not looked into (hidden, unreadable, too full)

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.name).name

    @property
    def hidden(self) -> bool:
        return any(part.startswith(".") for part in PurePosixPath(self.name).parts)


@dataclass(frozen=True)
class Found:
    """One student's submission in a download or a course, before a notebook is chosen."""

    student: str  # the id as the layout gives it, before `ids.student_id`
    files: tuple[HandedIn, ...]
    where: Path  # the student's own folder, or their first file
    name: str = ""  # the student's name, where the layout gives one
    submitted_at: str | None = None  # ISO 8601
    late: bool = False


def entry(path: Path, name: str) -> HandedIn:
    """`path` as a student's entry named `name`, with why it cannot be read, if it cannot."""
    try:
        mode = path.lstat().st_mode
    except OSError as error:
        return HandedIn(path, name, f"cannot be read ({error.strerror})")
    if stat.S_ISLNK(mode):
        return HandedIn(path, name, "a symbolic link, which is not followed")
    if stat.S_ISDIR(mode):
        return HandedIn(path, name, "a folder")
    if not stat.S_ISREG(mode):
        return HandedIn(path, name, "not a regular file")
    return HandedIn(path, name)


def is_folder(path: Path) -> bool:
    """A folder itself, not a link to one."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def listing(folder: Path) -> list[Path]:
    """The entries of `folder` that are not junk, in name order; OSError when it cannot be
    listed."""
    with os.scandir(folder) as entries:
        names = sorted(each.name for each in entries if not is_junk(each.name))
    return [folder / name for name in names]


def walk(folder: Path, prefix: str = "") -> list[HandedIn]:
    """Every entry of a student's `folder` that is not junk, subfolders included; names
    start with `prefix`. Hidden folders are listed, not entered."""
    found: list[HandedIn] = []
    pending = [(folder, prefix)]
    while pending:
        current, shown = pending.pop()
        try:
            paths = listing(current)
        except OSError as error:
            reason = f"a folder that cannot be read ({error.strerror})"
            found.append(HandedIn(current, shown.rstrip("/") or ".", reason, is_folder=True))
            continue
        for path in sorted(paths, key=_looked_at_first):
            if len(found) >= MAX_ENTRIES:
                too_many = f"more than {MAX_ENTRIES} files: the rest were not looked at"
                found.append(HandedIn(current, shown.rstrip("/") or ".", too_many, True))
                return sorted(found, key=lambda each: each.name)
            name = shown + path.name
            if not is_folder(path):
                found.append(entry(path, name))
            elif path.name.startswith("."):
                found.append(HandedIn(path, name, "a hidden folder, not looked into", True))
            else:
                pending.append((path, name + "/"))
    return sorted(found, key=lambda each: each.name)


def _looked_at_first(path: Path) -> bool:
    """Notebooks before the other entries of a folder (sorting is stable, so each keeps its
    name order): a notebook beside thousands of saved frames is still found."""
    return not path.name.endswith(".ipynb")


def read_small(path: Path) -> bytes | None:
    """The start of a small regular file (a timestamp, a secret), or None when it is not
    one: a link, a pipe that would never answer, a folder, or a file that cannot be read."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return None  # before any reading: Python refuses to open a folder as a file
        with os.fdopen(handle, "rb", closefd=False) as stream:
            return stream.read(MAX_SMALL_FILE)
    except OSError:
        return None
    finally:
        os.close(handle)


@dataclass(frozen=True)
class Place:
    """Where a layout is read from, and how the grader is shown a path in it."""

    root: Path
    label: str  # the folder as the grader named it, or the zip it was unpacked from

    def shown(self, path: Path) -> str:
        """`path` as the grader knows it: `canvas/README.txt`, `download.zip/a/b.ipynb`."""
        try:
            inside = path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
        return self.label if inside == "." else f"{self.label}/{inside}"

    def skipped(self, path: Path, reason: str) -> str:
        """A line of the run's list of skipped files."""
        return f"{self.shown(path)}: {reason}"
