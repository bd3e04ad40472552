"""Every file the kit writes goes through here: complete or absent, never half written.

The text goes to a temporary file in the same folder, is flushed to disk, and replaces the
target in one rename, so a reader (or a batch resumed after `kill -9`) sees either the old
file or the new one. Text that UTF-8 cannot encode is written with replacement characters
rather than failing half-way through a page. A file that already holds the content is left as
it is: a run that changes nothing writes nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
    """What tells one version of a file written here from another: each write replaces the
    file (a new inode), and a file changed in place has a new modification time or size.
    `OSError` when there is no file."""
    found = path.stat()
    return [found.st_ino, found.st_mtime_ns, found.st_size]


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds exactly `data` (read only when the sizes agree)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
