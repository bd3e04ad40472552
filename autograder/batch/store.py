"""One file per graded submission, written atomically.

A batch killed at any moment leaves only complete records behind; starting it again skips the
students already recorded, so the final grades are the same and no row appears twice. File
names come from `autograder.intake.ids.file_name`, so any id gives a valid path inside the folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.atomic import file_version, write_atomically
from autograder.intake.ids import file_name
from autograder.judge.record import CheckSpec, Record, RecordError
from autograder.lesson import Lesson

RUN_FILE = "run.json"
ROWS_FOLDER = "rows"


@dataclass(frozen=True)
class RunInfo:
    """What a grading run leaves beside its records for the runs and rebuilds after it."""

    seed: int  # of the hidden inputs; kept, so every record of the folder asks the same
    course_root: str | None = None  # where the course lives, so pages go back there
    seconds: float | None = None  # how long grading took, for the class report
    graded: int = 0  # how many submissions it graded (not counting unchanged ones)
    canvas_roster: str | None = None  # the Canvas roster asked for, so rebuilds write it too
    moodle: bool = False  # whether Moodle's grading worksheet was asked for
    # the class it graded, in order: a rebuild gives each of them a row, record or not
    students: tuple[str, ...] | None = None
    lesson: Lesson | None = None  # read from the release; reused while the release is the same
    # the hidden checks and the grader that has them: a run that grades nobody lists the same
    # checks without loading the judge, while the grader is the same
    checks: tuple[CheckSpec, ...] | None = None
    grader_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {
            "students": list(self.students) if self.students else None,
            "lesson": self.lesson.to_json() if self.lesson else None,
            "checks": [asdict(check) for check in self.checks] if self.checks else None,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> RunInfo:
        seed = raw["seed"]
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError("the seed must be a whole number")
        seconds = raw.get("seconds")
        return cls(
            seed=seed,
            course_root=_text_or_none(raw.get("course_root")),
            seconds=float(seconds) if isinstance(seconds, (int, float)) else None,
            graded=int(raw.get("graded") or 0),
            canvas_roster=_text_or_none(raw.get("canvas_roster")),
            moodle=raw.get("moodle") is True,
            students=_students_or_none(raw.get("students")),
            lesson=_lesson_or_none(raw.get("lesson")),
            checks=_checks_or_none(raw.get("checks")),
            grader_hash=_text_or_none(raw.get("grader_hash")),
        )

    def lesson_of(self, release: str) -> Lesson | None:
        """The recorded lesson, if it was read from the release whose hash is `release`."""
        return self.lesson if self.lesson and self.lesson.release_hash == release else None

    def checks_of(self, grader: str) -> tuple[CheckSpec, ...] | None:
        """The recorded hidden checks, if the grader whose hash is `grader` has them."""
        return self.checks if self.grader_hash == grader else None


def _lesson_or_none(raw: Any) -> Lesson | None:
    """A recorded lesson; a damaged one is read again from the release instead."""
    try:
        return Lesson.from_json(raw) if raw is not None else None
    except ValueError:
        return None


def _row_of(record: Record) -> Record:
    """A record's row: the record without what the student's code produced, its check
    results shared with the class's other rows."""
    checks = tuple(check.shared() for check in record.checks)
    return record.with_(observations=(), output="", checks=checks)


def _checks_or_none(raw: Any) -> tuple[CheckSpec, ...] | None:
    """The recorded hidden checks; damaged ones are collected from the grader instead."""
    if not isinstance(raw, list) or not raw:
        return None
    checks = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        check_id, category, points = item.get("id"), item.get("category"), item.get("points")
        if not (isinstance(check_id, str) and isinstance(category, str)):
            return None
        if isinstance(points, bool) or not isinstance(points, (int, float)):
            return None
        checks.append(CheckSpec(check_id, category, float(points)))
    return tuple(checks)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _students_or_none(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(student, str) for student in value):
        return tuple(value)
    return None


class RecordStore:
    def __init__(self, out_dir: Path) -> None:
        """Nothing is made on disk until the first record or run is written."""
        self.out_dir = out_dir
        self.folder = out_dir / "records"
        self._rows: dict[str, tuple[list[int], Record]] = {}  # what `row` has read, by student

    def record_file(self, student: str) -> Path:
        """Where `student`'s record is kept."""
        return self.folder / f"{file_name(student)}.json"

    def run(self) -> RunInfo | None:
        """What the last grading run into this folder recorded, if it recorded anything."""
        try:
            return RunInfo.from_json(json.loads((self.out_dir / RUN_FILE).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save_run(self, info: RunInfo) -> None:
        write_atomically(self.out_dir / RUN_FILE, json.dumps(info.to_json()))

    def has(self, student: str) -> bool:
        return self.record_file(student).is_file()

    def write(self, record: Record) -> None:
        path = self.record_file(record.student)
        write_atomically(path, json.dumps(record.to_json()))
        self._keep_row(_row_of(record), file_version(path))

    def row(self, student: str) -> Record:
        """The stored record of `student` without what their code produced (observations and
        output, nearly all of a record's bytes): what the class files and the next run's
        choice of what to grade need. It is kept in a small file of its own, stamped with the
        record file it was made from; one that is missing, damaged or made from another
        version of the record file is made again from the record. Each version is read once
        per store, however many outputs (or threads) ask for it. `RecordError` as `read`."""
        path = self.record_file(student)
        try:
            # Taken before the file is read: a row is never kept with a later version's stamp.
            stamp = file_version(path)
        except OSError:
            return _row_of(self.read(student))
        remembered = self._rows.get(student)
        if remembered and remembered[0] == stamp:
            return remembered[1]
        try:
            made = self._row_made_from(path, stamp)
            if made is not None:
                row = Record.from_json(made)
                if row.student == student:
                    self._rows[student] = (stamp, row)
                    return row
        except (ValueError, KeyError, TypeError, RecursionError):
            pass  # made again below, from the record itself
        row = _row_of(self.read(student))
        self._keep_row(row, stamp)
        return row

    def _row_path(self, student: str) -> Path:
        return self.out_dir / ROWS_FOLDER / f"{file_name(student)}.json"

    def _keep_row(self, row: Record, stamp: list[int]) -> None:
        """Keep `row`, made from the version `stamp` of its record file, here and on disk."""
        self._rows[row.student] = (stamp, row)
        document = {"stamp": stamp, "record": row.to_json()}
        write_atomically(self._row_path(row.student), json.dumps(document), durable=False)

    def read(self, student: str) -> Record:
        """The stored record of `student`; `RecordError` when it is missing or damaged."""
        path = self.record_file(student)
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
        """Every student with a readable record stored in its own place, in file-name order:
        the class of a folder whose run did not keep its class list (see `unreadable`)."""
        for _, found in self._filed():
            if isinstance(found, str):
                yield found

    def unreadable(self) -> list[str]:
        """Each record file that cannot be read back, or holds a record that is not its own,
        with why: in a folder whose run did not keep its class list, whose it is is unknown."""
        return [f"{path}: {found}" for path, found in self._filed() if isinstance(found, Exception)]

    def _filed(self) -> Iterator[tuple[Path, str | RecordError]]:
        for path in sorted(self.folder.glob("*.json")):
            if (named := self._named_by_row(path)) is not None:
                yield path, named
                continue
            try:
                student = Record.from_json(json.loads(path.read_bytes())).student
            except (OSError, ValueError, RecursionError) as error:
                yield path, RecordError(f"cannot be read back ({str(error)[:200]})")
                continue
            if self.record_file(student) != path:
                yield path, RecordError(f"holds the record of {student!r}, kept elsewhere")
                continue
            yield path, student

    def _named_by_row(self, record_file: Path) -> str | None:
        """Whose record `record_file` is, from the row made from this version of it (a few
        hundred bytes, where the record is mostly what the code produced); None when there is
        no such row, and the record itself must say."""
        try:
            made = self._row_made_from(record_file, file_version(record_file))
        except OSError:
            return None
        student = made.get("student") if made is not None else None
        return (
            student
            if isinstance(student, str) and self.record_file(student) == record_file
            else None
        )

    def _row_made_from(self, record_file: Path, stamp: list[int]) -> dict[str, Any] | None:
        """The row kept beside `record_file` (as JSON) if it was made from this very version
        of it (`stamp`); None when there is none, it is damaged, or it was made from another."""
        try:
            raw = json.loads((self.out_dir / ROWS_FOLDER / record_file.name).read_bytes())
            if raw["stamp"] == stamp and isinstance(raw["record"], dict):
                return raw["record"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            pass
        return None
