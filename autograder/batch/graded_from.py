"""Which version of each student's notebook their stored record was graded from.

Deciding that a student needs no grading means hashing their notebook and reading their
record back; in a class of thousands where nothing changed, that is most of a run. Once a
record is known to have been graded from the notebook as it is, by this grader from this
release, that is noted here (the notebook's and the record file's versions), and while both
files are still those versions the student is unchanged without reading either. A note taken
under another grader or release is ignored; a notebook still settling is noted as nothing
(`atomic.input_version`), so it is checked by content again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.atomic import output_version, write_atomically

FILE = "graded-from.json"


@dataclass
class GradedFrom:
    path: Path
    under: list[str]  # the grader's and the release's hashes the notes hold for
    # student -> [the notebook's version, the record file's version]
    noted: dict[str, list[Any]] = field(default_factory=dict)
    _read: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, out_dir: Path, grader_hash: str, release_hash: str) -> GradedFrom:
        """The notes kept in `out_dir`; none when they were taken under another grader or
        release, are missing, or are damaged."""
        path, under = out_dir / FILE, [grader_hash, release_hash]
        try:
            raw = json.loads(path.read_bytes())
            entries = raw["students"] if raw["under"] == under else {}
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            entries = {}
        if not isinstance(entries, dict):
            entries = {}
        return cls(path, under, dict(entries), dict(entries))

    def unchanged(self, student: str, notebook: list[int] | None, record_file: Path) -> bool:
        """Whether `student`'s record was graded from the notebook whose version is
        `notebook` (now), and the record file is still the one noted."""
        entry = self.noted.get(student)
        if notebook is None or not isinstance(entry, list) or entry[:1] != [notebook]:
            return False
        return entry[1:] == [output_version(record_file)]

    def note(self, student: str, notebook: list[int] | None, record_file: Path) -> None:
        """`student`'s stored record is graded from their notebook at version `notebook`."""
        record = output_version(record_file)
        if notebook is None or record is None:
            self.noted.pop(student, None)
        else:
            self.noted[student] = [notebook, record]

    def save(self) -> None:
        if self.noted != self._read:
            document = {"under": self.under, "students": self.noted}
            write_atomically(self.path, json.dumps(document), durable=False)
