"""From what happened to a submission to its record: status, score and a plain message."""

from __future__ import annotations

from collections.abc import Sequence

from .checks import CATEGORIES
from .diagnosis import UNDEFINED
from .record import CheckResult, Status
from .results import total
from .sandbox import Limits


def missing_functions(results: Sequence[CheckResult]) -> list[str]:
    """Functions the checks found undefined in the student's notebook, in check order."""
    missing: dict[str, None] = {}
    for result in results:
        if result.mistake is not None and result.mistake.key.startswith(UNDEFINED):
            missing[result.mistake.key.removeprefix(UNDEFINED)] = None
    return list(missing)


def classify(
    results: Sequence[CheckResult], unavailable: str | None, limit_hit: str | None, limits: Limits
) -> tuple[Status, str]:
    """(status, message) for a submission whose code was run; `limit_hit` is the limit that
    stopped it ("timeout" or "cpu_limit"), if one did."""
    if limit_hit == Status.CPU_LIMIT:
        return Status.CPU_LIMIT, (
            f"your code used more than {limits.cpu_seconds:g} s of CPU time and was stopped; "
            "look for a loop that never ends (at the top level or inside update())"
        )
    if limit_hit == Status.TIMEOUT:
        return Status.TIMEOUT, (
            f"your code did not finish within {limits.wall_seconds:g} s and was stopped; look "
            "for an input() call, a sleep, or a loop that never ends"
        )
    if unavailable:
        return Status.CRASHED, unavailable
    missing = missing_functions(results)
    if missing:
        names = " and ".join(missing)
        verb = "are" if len(missing) > 1 else "is"
        return Status.MISSING_FUNCTION, (
            f"{names} {verb} not defined; keep the function names the notebook asks for"
        )
    score, max_score = total(results)
    return Status.GRADED, f"{score:g} of {max_score:g} points"


def points_by_category(checks: Sequence[CheckResult]) -> dict[str, float]:
    points = dict.fromkeys(CATEGORIES, 0.0)
    for check in checks:
        points[check.category] += check.points
    return points
