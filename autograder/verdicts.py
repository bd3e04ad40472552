"""From what happened to a submission to its row: status, score and a plain message."""

from __future__ import annotations

from typing import Any

from .checks import CATEGORIES
from .results import CheckResult, total

GRADED = "graded"
TIMEOUT = "timeout"
CRASHED = "crashed"
INVALID = "invalid"
MISSING_FUNCTION = "missing_function"
STATUSES = (GRADED, MISSING_FUNCTION, TIMEOUT, CRASHED, INVALID)

_FUNCTIONS = {"mean_squared_error": "mean_squared_error", "update": "update()"}


def missing_functions(results: list[CheckResult]) -> list[str]:
    """Functions the checks found undefined in the student's code."""
    missing = []
    for name, shown in _FUNCTIONS.items():
        if any(
            f"{shown} raised NameError: name '{name}' is not defined" in r.message for r in results
        ):
            missing.append(name)
    return missing


def record(
    student: str,
    status: str,
    max_score: float,
    message: str,
    results: list[CheckResult],
    **extra: Any,
) -> dict[str, Any]:
    score = total(results)[0] if results else 0.0
    return {
        "student": student,
        "status": status,
        "score": score,
        "max_score": max_score,
        "message": message,
        "checks": [result.to_json() for result in results],
        **extra,
    }


def classify(
    results: list[CheckResult], unavailable: str | None, timed_out: bool, timeout: float
) -> tuple[str, str]:
    """(status, message) for a submission whose code was run."""
    if timed_out:
        return TIMEOUT, (
            f"your code was stopped after {timeout:g} s; look for a loop that never "
            "ends (at the top level or inside update()) or an input() call"
        )
    if unavailable:
        return CRASHED, unavailable
    missing = missing_functions(results)
    if missing:
        return MISSING_FUNCTION, (
            f"{' and '.join(missing)} is not defined; keep the function names the notebook asks for"
        )
    score, max_score = total(results)
    return GRADED, f"{score:g} of {max_score:g} points"


def points_by_category(checks: list[dict[str, Any]]) -> dict[str, float]:
    points = dict.fromkeys(CATEGORIES, 0.0)
    for check in checks:
        points[check["category"]] += check["points"]
    return points
