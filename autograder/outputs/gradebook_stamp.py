"""Whether nbgrader's gradebook is as this kit last left it, told without opening it.

Reading the gradebook through nbgrader's API first costs importing nbgrader (about a second
and a half: its package loads Jupyter's server extensions). So after each write the kit notes
what each student's row holds (a digest) and how the database file looked once written. Over
a file nobody has touched since, a later run writes only the rows that differ from the note,
and opens nothing when none do. Any other writer (the formgrader, `nbgrader autograde`, a hand
edit) changes the file: its size, its modification time, or the change counter SQLite keeps
in its header and bumps on every write; a database in write-ahead-log mode also shows its log
file.
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

    def changed(self, rows: dict[str, str]) -> set[str] | None:
        """The students whose rows (a digest each) differ from those the gradebook held when
        the kit last left it; None when it has been written since (all must be read)."""
        noted = self._noted()
        file = self._file()
        held = noted.get("rows")
        if file is None or noted.get("file") != file or not isinstance(held, dict):
            return None
        return {student for student, row in rows.items() if held.get(student) != row}

    def note(self, rows: dict[str, str]) -> None:
        """Note that the gradebook, just written and closed by the kit, holds `rows`."""
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
