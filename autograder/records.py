"""One file per graded submission, written atomically.

A batch killed at any moment leaves only complete records behind; starting it again skips the
students already recorded, so the final grades are the same and no row appears twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote


class RecordStore:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.folder = out_dir / "records"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, student: str) -> Path:
        return self.folder / f"{quote(student, safe='')}.json"

    def has(self, student: str) -> bool:
        return self._path(student).is_file()

    def write(self, record: dict[str, Any]) -> None:
        target = self._path(record["student"])
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".writing-")
        try:
            with os.fdopen(handle, "w") as stream:
                json.dump(record, stream)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def read(self, student: str) -> dict[str, Any]:
        return json.loads(self._path(student).read_text())

    def each(self, students: Iterable[str]) -> Iterator[dict[str, Any]]:
        """The records of `students`, read one at a time."""
        for student in students:
            yield self.read(student)

    def students(self) -> Iterator[str]:
        for path in sorted(self.folder.glob("*.json")):
            yield unquote(path.stem)
