"""The record of one graded submission: the one value every output is written from.

A `Record` is made once, when a submission has been graded (or could not be), stored as one
JSON file, and read back by every writer: results.json, grades.csv, the gradebook, feedback
pages and the class report. Its text fields hold only printable text (see `autograder.text`), so no
writer has to worry about what a student put in an exception message. `from_json` validates
what it reads, so a damaged or hand-edited file is refused with a reason instead of breaking a
writer later, and it reads the records earlier versions wrote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from autograder.text import printable

RECORD_FORMAT = 2
MAX_MESSAGE = 2000
MAX_OUTPUT = 4000
UNDEFINED = "undefined_"  # key prefix of a mistake that names a function never defined


class Status(StrEnum):
    """How grading a submission ended."""

    GRADED = "graded"  # every check ran
    MISSING_FUNCTION = "missing_function"  # a function the checks call was not defined
    TIMEOUT = "timeout"  # the student's code ran out of time on the clock
    CPU_LIMIT = "cpu_limit"  # the student's code used up its CPU time
    CRASHED = "crashed"  # the student's process ended or broke the protocol early
    INVALID = "invalid"  # no notebook that could be run
    GRADER_ERROR = "grader_error"  # the grader failed on this submission: not the student


class RecordError(ValueError):
    """A stored record that cannot be read back; the message says which field is wrong."""


@dataclass(frozen=True)
class Mistake:
    """A mistake a check recognised from the values the student's code produced."""

    key: str  # stable identifier, used by reports and CSV files
    title: str  # what happened, in a few words
    hint: str  # what to try, as a question or a suggestion

    def __post_init__(self) -> None:
        for name in ("key", "title", "hint"):
            object.__setattr__(self, name, printable(getattr(self, name), MAX_MESSAGE))

    def to_json(self) -> dict[str, str]:
        return {"key": self.key, "title": self.title, "hint": self.hint}

    @classmethod
    def from_json(cls, raw: Any) -> Mistake:
        raw = _object(raw, "a mistake")
        return cls(_text(raw, "key"), _text(raw, "title"), _text(raw, "hint"))

    @property
    def undefined_function(self) -> str | None:
        """The function this mistake says the notebook never defined, if that is what it says."""
        return self.key.removeprefix(UNDEFINED) if self.key.startswith(UNDEFINED) else None


@dataclass(frozen=True)
class CheckSpec:
    """One hidden check as the outputs list it: its id, category and points."""

    id: str
    category: str
    points: float


def max_score(checks: Iterable[CheckSpec]) -> float:
    return round(sum(check.points for check in checks), 6)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one hidden check on one submission."""

    id: str
    category: str
    points: float
    max_points: float
    passed: bool
    message: str
    mistake: Mistake | None = None  # named by the check that found it, read by the feedback

    def __post_init__(self) -> None:
        for name in ("id", "category", "message"):
            object.__setattr__(self, name, printable(getattr(self, name), MAX_MESSAGE))

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["mistake"] = self.mistake.to_json() if self.mistake else None
        return data

    @classmethod
    def from_json(cls, raw: Any) -> CheckResult:
        """A check's result from its JSON, refusing anything malformed (`RecordError`). A
        class's rows repeat a few results (each correct answer passes each check with the same
        message), so a result already read is shared rather than made again: most of the time
        of reading a class back, and of the memory its rows hold."""
        raw = _object(raw, "a check")
        key = _result_key(raw)
        if key is None:
            return cls._made(raw)
        found = _results_read.get(key)
        if found is None:
            found = cls._made(raw)
            if len(_results_read) >= _RESULTS_KEPT:
                _results_read.clear()
            _results_read[key] = found
        return found

    def shared(self) -> CheckResult:
        """This result as reading it back gives it, shared with the rows read (see
        `from_json`): what a class's rows keep in memory; itself when it cannot be read back."""
        try:
            return CheckResult.from_json(self.to_json())
        except RecordError:
            return self

    @classmethod
    def _made(cls, raw: dict[str, Any]) -> CheckResult:
        mistake = raw.get("mistake")
        return cls(
            id=_text(raw, "id"),
            category=_text(raw, "category"),
            points=_number(raw, "points"),
            max_points=_number(raw, "max_points"),
            passed=_flag(raw, "passed"),
            message=_text(raw, "message"),
            mistake=Mistake.from_json(mistake) if isinstance(mistake, dict) else None,
        )


_RESULTS_KEPT = 4096  # distinct results shared at most (a failed check's message varies)
_results_read: dict[tuple[Any, ...], CheckResult] = {}


def _result_key(raw: dict[str, Any]) -> tuple[Any, ...] | None:
    """Everything a check's JSON makes its result from, when each part has a type a result
    can be made from (an int point is the float it becomes; a zero's sign is kept); None when
    a part has not, and `CheckResult._made` says what is wrong."""
    texts = (raw.get("id"), raw.get("category"), raw.get("message"))
    numbers = (raw.get("points"), raw.get("max_points"))
    passed, mistake = raw.get("passed"), raw.get("mistake")
    if type(passed) is not bool or not all(type(text) is str for text in texts):
        return None
    if not all(type(number) in (int, float) for number in numbers):
        return None
    if isinstance(mistake, dict):
        mistake = (mistake.get("key"), mistake.get("title"), mistake.get("hint"))
        if not all(type(text) is str for text in mistake):
            return None
    else:
        mistake = None
    signs = tuple(math.copysign(1.0, number) for number in numbers)
    return (*texts, *numbers, *signs, passed, mistake)


@dataclass(frozen=True)
class Timings:
    """Where grading one submission spent its time, in seconds of the clock."""

    launch: float = 0.0  # forking the student process and confining it
    cells: float = 0.0  # the notebook's cells, as the student process ran them
    questions: float = 0.0  # asking and answering the checks' questions
    checks: float = 0.0  # the judge's own work: pytest, parsing, comparing
    record: float = 0.0  # making the record
    page: float = 0.0  # drawing and writing the feedback page

    def to_json(self) -> dict[str, float]:
        return {f.name: round(getattr(self, f.name), 6) for f in fields(self)}

    @classmethod
    def from_json(cls, raw: Any) -> Timings:
        raw = _object(raw, "timings")
        return cls(**{f.name: _number(raw, f.name) for f in fields(cls) if f.name in raw})


@dataclass(frozen=True)
class Record:
    """Everything kept about one submission: its verdict, and what the student's code did."""

    student: str
    status: Status
    max_score: float
    message: str
    checks: tuple[CheckResult, ...] = ()
    notes: tuple[str, ...] = ()
    output: str = ""  # the start of what the notebook's cells printed
    observations: tuple[dict[str, Any], ...] = ()  # questions asked and the answers, as JSON
    seed: int | None = None  # of its hidden inputs: the same seed asks the same questions
    original: str = ""  # the file as it was handed in (an LMS download's own name, say)
    name: str = ""  # the student's name, where the submission's layout gives one
    submitted_at: str | None = None  # ISO 8601, when the student submitted
    late: bool = False  # the LMS marked the submission late
    notebook_hash: str = ""  # of what was graded: a changed notebook is graded again
    grader_hash: str = ""  # of the checks and release it was graded with
    lesson_hash: str = ""  # of the lesson it was graded against (see `autograder.lesson`)
    release_hash: str = ""  # of the release notebook that lesson was read from
    regraded: str = ""  # why this submission was graded again, if it was
    timings: Timings | None = None  # where grading it spent its time

    def __post_init__(self) -> None:
        object.__setattr__(self, "student", printable(self.student))
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "message", printable(self.message, MAX_MESSAGE))
        object.__setattr__(
            self, "notes", tuple(printable(note, MAX_MESSAGE) for note in self.notes)
        )
        object.__setattr__(self, "output", printable(self.output, MAX_OUTPUT))
        for name in ("original", "name", "regraded"):
            object.__setattr__(self, name, printable(getattr(self, name), MAX_MESSAGE))
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "observations", tuple(self.observations))

    @cached_property  # asked of every row by every class file; a record never changes
    def score(self) -> float:
        return round(sum(check.points for check in self.checks), 6)

    @property
    def mistakes(self) -> list[tuple[str, Mistake]]:
        """(category, mistake) for each mistake the checks named, once, in check order."""
        found: dict[str, tuple[str, Mistake]] = {}
        for check in self.checks:
            if check.mistake is not None:
                found.setdefault(check.mistake.key, (check.category, check.mistake))
        return list(found.values())

    @property
    def is_verdict(self) -> bool:
        """Whether this row judges the notebook. One the grader failed on does not, so the
        next run (or the service's next start) grades that notebook again."""
        return self.status != Status.GRADER_ERROR

    def with_(self, **changes: Any) -> Record:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "student": self.student,
            "status": str(self.status),
            "score": self.score,
            "max_score": self.max_score,
            "message": self.message,
            "checks": [check.to_json() for check in self.checks],
            "notes": list(self.notes),
            "output": self.output,
            "observations": list(self.observations),
            "seed": self.seed,
            "original": self.original,
            "name": self.name,
            "submitted_at": self.submitted_at,
            "late": self.late,
            "notebook_hash": self.notebook_hash,
            "grader_hash": self.grader_hash,
            "lesson_hash": self.lesson_hash,
            "release_hash": self.release_hash,
            "regraded": self.regraded,
            "timings": self.timings.to_json() if self.timings else None,
        }

    @classmethod
    def from_json(cls, raw: Any) -> Record:
        """A record from its JSON, refusing anything malformed (`RecordError`)."""
        raw = _object(raw, "a record")
        version = raw.get("format", 0)
        if version not in range(RECORD_FORMAT + 1):
            raise RecordError(f"record format {version!r} is newer than this grader")
        status = _text(raw, "status")
        if status not in Status.__members__.values():
            raise RecordError(f"unknown status {status!r}")
        checks = raw.get("checks") or []
        observations = raw.get("observations") or []
        notes = raw.get("notes") or []
        if not isinstance(checks, list) or not isinstance(observations, list):
            raise RecordError("checks and observations must be lists")
        if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
            raise RecordError("notes must be a list of text")
        return cls(
            student=_text(raw, "student"),
            status=Status(status),
            max_score=_number(raw, "max_score"),
            message=_text(raw, "message"),
            checks=tuple(CheckResult.from_json(check) for check in checks),
            notes=tuple(notes),
            output=_text(raw, "output", optional=True) or "",
            observations=tuple(_object(item, "an observation") for item in observations),
            seed=_whole(raw, "seed"),
            original=_text(raw, "original", optional=True) or "",
            name=_text(raw, "name", optional=True) or "",
            submitted_at=_text(raw, "submitted_at", optional=True),
            late=_flag(raw, "late") if "late" in raw else False,
            notebook_hash=_text(raw, "notebook_hash", optional=True) or "",
            grader_hash=_text(raw, "grader_hash", optional=True) or "",
            lesson_hash=_text(raw, "lesson_hash", optional=True) or "",
            release_hash=_text(raw, "release_hash", optional=True) or "",
            regraded=_text(raw, "regraded", optional=True) or "",
            timings=Timings.from_json(raw["timings"]) if raw.get("timings") else None,
        )


def _object(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise RecordError(f"{what} must be a JSON object")
    return raw


def _text(raw: dict[str, Any], key: str, optional: bool = False) -> Any:
    value = raw.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{key} must be text")
    return value


def _number(raw: dict[str, Any], key: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordError(f"{key} must be a finite number")
    return float(value)


def _whole(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(f"{key} must be a whole number")
    return value


def _flag(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        raise RecordError(f"{key} must be true or false")
    return value
