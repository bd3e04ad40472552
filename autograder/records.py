"""One file per graded submission, written atomically.

A batch killed at any moment leaves only complete records behind; starting it again skips the
students already recorded, so the final grades are the same and no row appears twice. File
names come from `student_ids.file_name`, so any id gives a valid path inside the folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from .atomic import write_atomically
from .checks.hidden_inputs import new_seed
from .record import Record, RecordError
from .student_ids import file_name


class RecordStore:
    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.folder = out_dir / "records"
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, student: str) -> Path:
        return self.folder / f"{file_name(student)}.json"

    def seed(self, requested: int | None = None) -> int:
        """The seed of this folder's hidden inputs. Chosen once and kept for every later run
        (resumed or forced), so all its records answer the same questions; `requested`
        replaces it, to regrade exactly as an earlier run did."""
        path = self.out_dir / "run.json"
        if requested is None:
            try:
                stored = json.loads(path.read_text())["seed"]
                if isinstance(stored, int) and not isinstance(stored, bool):
                    return stored
            except (OSError, ValueError, KeyError, TypeError):
                pass
        seed = new_seed() if requested is None else requested
        write_atomically(path, json.dumps({"seed": seed}))
        return seed

    def has(self, student: str) -> bool:
        return self._path(student).is_file()

    def write(self, record: Record) -> None:
        write_atomically(self._path(record.student), json.dumps(record.to_json()))

    def read(self, student: str) -> Record:
        """The stored record of `student`; `RecordError` when it is missing or damaged."""
        path = self._path(student)
        try:
            record = Record.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError, RecursionError) as error:
            raise RecordError(f"{path.name} cannot be read back ({error})") from None
        if record.student != student:
            raise RecordError(f"{path.name} holds the record of another student")
        return record

    def each(self, students: Iterable[str]) -> Iterator[Record]:
        """The records of `students`, read one at a time."""
        for student in students:
            yield self.read(student)

    def students(self) -> Iterator[str]:
        """Every student with a readable record, in file-name order."""
        for path in sorted(self.folder.glob("*.json")):
            try:
                yield Record.from_json(json.loads(path.read_bytes())).student
            except (OSError, ValueError, RecursionError):
                continue
