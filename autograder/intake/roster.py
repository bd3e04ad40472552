"""The instructor's Canvas gradebook export, read as the roster that grades are matched to.

Canvas exports `Student, ID, SIS User ID, SIS Login ID, Section` and then a column per
assignment; rows whose `ID` is blank (`    Points Possible`, `    Manual Posting`) describe
the assignments, not students. A roster that cannot be read is refused before any grading, so
a class is never graded only to find its grades cannot be matched.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.usage import UsageError

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCHED_BY = ("ID", "SIS User ID", "SIS Login ID")  # in the order a student id is tried
ASSIGNMENT_COLUMN = re.compile(rf"^{re.escape(ASSIGNMENT)} \(\d+\)$")
MAX_ROSTER_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class RosterRow:
    """One student as Canvas knows them: the identifying columns, blanks where absent."""

    student: str
    id: str
    sis_user_id: str
    sis_login_id: str
    section: str

    def identity(self) -> tuple[str, ...]:
        """The identifying cells, in `IDENTITY` order."""
        return (self.student, self.id, self.sis_user_id, self.sis_login_id, self.section)

    def ids(self) -> tuple[str, ...]:
        """The cells a student id is matched against, in `MATCHED_BY` order."""
        return (self.id, self.sis_user_id, self.sis_login_id)


@dataclass(frozen=True)
class CanvasRoster:
    path: Path  # absolute, so a rebuild from another folder reads it again
    students: tuple[RosterRow, ...]
    assignment_column: str  # this exercise's column: Canvas's own if it exists, else new

    def find(self, student_id: str) -> RosterRow | None:
        """The row whose ID, SIS User ID or SIS Login ID (tried in that order) is the id."""
        return self._by_id.get(student_id)

    @cached_property
    def _by_id(self) -> dict[str, RosterRow]:
        found: dict[str, RosterRow] = {}
        for column in range(len(MATCHED_BY)):
            for row in self.students:
                if row.ids()[column]:
                    found.setdefault(row.ids()[column], row)
        return found


def read_canvas_roster(path: Path) -> CanvasRoster:
    """The roster in `path`; `UsageError` saying what is wrong when it is not one."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise UsageError(f"the Canvas roster {path} is larger than a gradebook export can be")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"the Canvas roster {path} is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"the Canvas roster {path} cannot be read ({error.strerror})") from None
    try:
        header, *rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (csv.Error, ValueError):
        raise UsageError(f"the Canvas roster {path} is not a CSV file") from None
    header = [name.strip() for name in header]
    if "ID" not in header:
        raise UsageError(f"the Canvas roster {path} has no ID column: export it from Canvas")
    students = tuple(_students(header, rows))
    _refuse_duplicates(path, students)
    existing = [name for name in header if ASSIGNMENT_COLUMN.match(name)]
    return CanvasRoster(path.resolve(), students, existing[0] if existing else ASSIGNMENT)


def _students(header: list[str], rows: list[list[str]]) -> Iterator[RosterRow]:
    positions = [header.index(name) if name in header else None for name in IDENTITY]
    for row in rows:
        cells = [row[i].strip() if i is not None and i < len(row) else "" for i in positions]
        if cells[1]:  # rows without an ID are Canvas's Points Possible and posting rows
            yield RosterRow(*cells)


def _refuse_duplicates(path: Path, students: tuple[RosterRow, ...]) -> None:
    for column, name in enumerate(MATCHED_BY):
        seen: set[str] = set()
        for row in students:
            value = row.ids()[column]
            if value and value in seen:
                raise UsageError(f"the Canvas roster {path} has two students with {name} {value}")
            seen.add(value)
