"""Whether nbgrader's gradebook is as this kit last left it, told without opening it.

Reading the gradebook through nbgrader's API first costs importing nbgrader (about a second
and a half: its package loads Jupyter's server extensions). So after each write the kit notes
what it wrote and how the database file looked once written. A later run that would write the
same rows over a file nobody has touched since has nothing to do. Any other writer (the
formgrader, `nbgrader autograde`, a hand edit) changes the file: its size, its modification
time, or the change counter SQLite keeps in its header and bumps on every write; a database
in write-ahead-log mode also shows its log file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from autograder.atomic import write_atomically

_SQLITE_HEADER = 100  # bytes: the format, page size and change counter


@dataclass(frozen=True)
class GradebookStamp:
    """The note kept at `path` about the gradebook at `database`."""

    path: Path
    database: Path

    @classmethod
    def of(cls, course_root: Path, out_dir: Path) -> GradebookStamp:
        """The note, kept with the records in `out_dir`, about the course's gradebook."""
        return cls(out_dir / "gradebook-written.json", course_root / "gradebook.db")

    def untouched(self) -> bool:
        """Whether the database is as the kit left it after its last noted write."""
        file = self._file()
        return file is not None and self._noted().get("file") == file

    def holds(self, rows: str) -> bool:
        """Whether the database is as the kit left it after writing `rows` (a digest)."""
        return self.untouched() and self._noted().get("rows") == rows

    def note(self, rows: str) -> None:
        """Note that the kit has just written `rows` and closed the database."""
        write_atomically(self.path, json.dumps({"rows": rows, "file": self._file()}))

    def _noted(self) -> dict[str, object]:
        try:
            noted = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        return noted if isinstance(noted, dict) else {}

    def _file(self) -> list[object] | None:
        """What changes whenever anything writes the database, or None when it cannot be
        read (never the same as a note)."""
        try:
            with open(self.database, "rb") as stream:
                found = os.fstat(stream.fileno())
                header = stream.read(_SQLITE_HEADER)
        except OSError:
            return None
        identity: list[object] = [found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns]
        identity.append(header.hex())
        for log in (f"{self.database}-wal", f"{self.database}-journal"):
            try:
                seen = os.stat(log)
            except FileNotFoundError:
                identity.append(None)
                continue
            except OSError:
                return None
            identity.append([seen.st_size, seen.st_mtime_ns])
        return identity
