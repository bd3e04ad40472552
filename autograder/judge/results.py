"""Check results summed into a score and shown as a table for a terminal or a notebook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from autograder.exercise import CATEGORIES, LOSS_CATEGORY
from autograder.judge.record import CheckResult
from autograder.text import one_line


def total(results: Sequence[CheckResult]) -> tuple[float, float]:
    """(score, max_score) of a list of check results."""
    return (
        round(sum(result.points for result in results), 6),
        round(sum(result.max_points for result in results), 6),
    )


def by_category(results: Sequence[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    """The results of each category that has any, in the notebook's order of categories (any
    other category after them, alphabetically): the order every list of checks is shown in."""
    known = set(CATEGORIES)
    categories = [*CATEGORIES, *sorted({result.category for result in results} - known)]
    groups = [(category, [r for r in results if r.category == category]) for category in categories]
    return [(category, group) for category, group in groups if group]


def shows_own_training(results: Iterable[CheckResult]) -> bool:
    """Whether a student's page shows what training did in their own notebook, with their own
    loss: only when the loss lost points, since update() was then checked with a correct loss
    in its place. The notebook's own training run is watched for nothing else."""
    return any(not result.passed for result in results if result.category == LOSS_CATEGORY)


def as_table(results: Sequence[CheckResult]) -> str:
    """A plain-text table a student or instructor reads in a terminal or a notebook; student
    text in it is one line each, with control characters escaped."""
    id_width = max([len(result.id) for result in results] + [5])
    lines = [f"{'check':<{id_width}}  {'category':<11}  {'points':>9}  result"]
    for result in results:
        verdict = "pass" if result.passed else f"FAIL  {one_line(result.message)}"
        points = f"{result.points:g}/{result.max_points:g}"
        lines.append(f"{result.id:<{id_width}}  {result.category:<11}  {points:>9}  {verdict}")
    score, max_score = total(results)
    lines.append(f"score: {score:g}/{max_score:g}")
    return "\n".join(lines)
