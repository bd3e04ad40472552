"""The class at a glance, as the terminal summary shows it: how many students ended in each
status, the mean score, and each student not graded normally with why.

It is made from the class's rows once, and kept beside the outputs (`published_from`), so a
run that publishes nothing new prints it without reading a row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from autograder.judge.record import Record, Status


@dataclass(frozen=True)
class Unusual:
    """A student who was not graded normally, and why."""

    student: str
    status: Status
    message: str


@dataclass(frozen=True)
class ClassSummary:
    """What the terminal shows of the class after `grade` and `feedback`."""

    size: int
    counts: tuple[tuple[Status, int], ...]  # in `Status` order, only statuses that occur
    mean_score: float
    max_score: float
    unusual: tuple[Unusual, ...]

    @classmethod
    def of(cls, rows: list[Record]) -> ClassSummary:
        counted = Counter(row.status for row in rows)
        scores = [row.score for row in rows]
        return cls(
            size=len(rows),
            counts=tuple((status, counted[status]) for status in Status if counted[status]),
            mean_score=sum(scores) / len(scores) if scores else 0.0,
            max_score=rows[0].max_score if rows else 0.0,
            unusual=tuple(
                Unusual(row.student, row.status, row.message)
                for row in rows
                if row.status != Status.GRADED
            ),
        )

    @property
    def grader_failed(self) -> bool:
        """Whether the grader itself failed on any student (the run's exit status says so)."""
        return any(status == Status.GRADER_ERROR for status, _ in self.counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "counts": [[status.value, count] for status, count in self.counts],
            "mean_score": self.mean_score,
            "max_score": self.max_score,
            "unusual": [[row.student, row.status.value, row.message] for row in self.unusual],
        }

    @classmethod
    def from_json(cls, raw: Any) -> ClassSummary:
        """A kept summary; `ValueError` (or `TypeError`, `KeyError`) when it is not one."""
        size, mean, top = raw["size"], raw["mean_score"], raw["max_score"]
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("the class size must be a whole number")
        if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in (mean, top)):
            raise ValueError("the scores must be numbers")
        counts = []
        for status, count in raw["counts"]:
            if not isinstance(count, int) or isinstance(count, bool):
                raise ValueError("a count must be a whole number")
            counts.append((Status(status), count))
        unusual = []
        for student, status, message in raw["unusual"]:
            if not (isinstance(student, str) and isinstance(message, str)):
                raise ValueError("an unusual row names its student and says why, as text")
            unusual.append(Unusual(student, Status(status), message))
        return cls(size, tuple(counts), float(mean), float(top), tuple(unusual))
