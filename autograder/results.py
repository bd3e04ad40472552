"""Verdicts: one per check, summed into a score, shown as a table or JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    id: str
    category: str
    points: float
    max_points: float
    passed: bool
    message: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def total(results: list[CheckResult]) -> tuple[float, float]:
    """(score, max_score) of a list of verdicts."""
    return (
        round(sum(result.points for result in results), 6),
        round(sum(result.max_points for result in results), 6),
    )


def as_table(results: list[CheckResult]) -> str:
    """A plain-text table a student or instructor reads in a terminal or a notebook."""
    id_width = max([len(result.id) for result in results] + [5])
    lines = [f"{'check':<{id_width}}  {'category':<11}  {'points':>9}  result"]
    for result in results:
        verdict = "pass" if result.passed else f"FAIL  {result.message}"
        points = f"{result.points:g}/{result.max_points:g}"
        lines.append(f"{result.id:<{id_width}}  {result.category:<11}  {points:>9}  {verdict}")
    score, max_score = total(results)
    lines.append(f"score: {score:g}/{max_score:g}")
    return "\n".join(lines)
