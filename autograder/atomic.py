"""Every file the kit writes goes through here: complete or absent, never half written.

The text goes to a temporary file in the same folder, is flushed to disk, and replaces the
target in one rename, so a reader (or a batch resumed after `kill -9`) sees either the old
file or the new one. Text that UTF-8 cannot encode is written with replacement characters
rather than failing half-way through a page. A file that already holds the content is left as
it is: a run that changes nothing writes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A file the kit did not write is trusted to be unchanged by its version only once it has
# been left alone this long: the clock that stamps modification times ticks coarsely, so a
# change in place within the same tick, at the same size, would keep the version.
SETTLING_SECONDS = 2.0


def write_atomically(path: Path, content: str | bytes, durable: bool = True) -> None:
    """Replace `path` with `content` in one step; `durable` also waits for the disk."""
    data = content if isinstance(content, bytes) else content.encode("utf-8", errors="replace")
    if _holds(path, data):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def file_version(path: Path) -> list[int]:
    """`stat_version` of the file at `path`; `OSError` when there is no file."""
    return stat_version(path.stat())


def stat_version(found: os.stat_result) -> list[int]:
    """What tells one version of a file written here from another: each write replaces the
    file (a new inode), and a file changed in place has a new modification time or size."""
    return [found.st_ino, found.st_mtime_ns, found.st_size]


def output_version(path: Path) -> list[int] | None:
    """`file_version` of a file the kit wrote (each write is a new file), or None when it is
    not there: a version to compare with the one noted when it was written."""
    try:
        return file_version(path)
    except OSError:
        return None


def input_version(path: Path | None) -> list[int] | None:
    """The version of a file the kit reads but others write (a submission, a secret, the
    release), as a key for "unchanged since it was noted": its own identity (a link is not
    followed), [] when there is no file (or no path); None, which matches nothing, while it is
    still settling (see `SETTLING_SECONDS`), so that what rests on it is checked again."""
    if path is None:
        return []
    try:
        found = path.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError:
        return None
    if time.time() - found.st_mtime < SETTLING_SECONDS:
        return None
    return stat_version(found)


def read_note(path: Path, shaped: Callable[[list[Any]], bool]) -> dict[str, list[Any]]:
    """A note the kit wrote (a JSON object of one list per student), keeping the entries
    that are `shaped` as it writes them: a damaged or missing note notes nothing, so that
    whatever it would have vouched for is checked again."""
    try:
        noted = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(noted, dict):
        return {}
    return {
        student: entry
        for student, entry in noted.items()
        if isinstance(entry, list) and shaped(entry)
    }


def passed_over(student: str, settled: frozenset[str], noted: dict[str, list[Any]]) -> bool:
    """Whether a writer of each student's own files may leave `student` alone without taking
    a single version: their files are as the last publish left them (`settled`, see
    `outputs.published_from`), and the writer's note says what it made them from."""
    return student in settled and student in noted


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds exactly `data` (read only when the sizes agree)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
