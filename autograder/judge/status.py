"""From what happened to a submission to its record: status, score and a plain message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograder.exercise import CATEGORIES
from autograder.inside.observations import TRAINING
from autograder.judge.record import CheckResult, Record, Status
from autograder.judge.results import total
from autograder.sandbox import Limits

if TYPE_CHECKING:
    from autograder.judge.runner import SubjectReport


def missing_functions(results: Sequence[CheckResult]) -> list[str]:
    """Functions the checks found undefined in the student's notebook, in check order."""
    missing: dict[str, None] = {}
    for result in results:
        function = result.mistake.undefined_function if result.mistake else None
        if function is not None:
            missing[function] = None
    return list(missing)


def classify(
    results: Sequence[CheckResult], unavailable: str | None, limit_hit: str | None, limits: Limits
) -> tuple[Status, str]:
    """(status, message) for a submission whose code was run; `limit_hit` is the limit that
    stopped it ("timeout" or "cpu_limit"), if one did."""
    if limit_hit == Status.CPU_LIMIT:
        return Status.CPU_LIMIT, (
            "your code kept the CPU busy until it was stopped (after "
            f"{limits.cpu_seconds:g} s of CPU time or {limits.wall_seconds:g} s on the clock, "
            "not counting time spent waiting for a CPU); "
            "look for a loop that never ends (at the top level or inside update())"
        )
    if limit_hit == Status.TIMEOUT:
        return Status.TIMEOUT, (
            f"your code did not finish within {limits.wall_seconds:g} s (not counting time "
            "spent waiting for a CPU) and was stopped; look for an input() call, a sleep, or "
            "a loop that never ends"
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


def invalid(student: str, problem: str, max_score: float) -> Record:
    """The row of a submission with no notebook that can be run."""
    return Record(student=student, status=Status.INVALID, max_score=max_score, message=problem)


def grader_error(base: Record, during: str, error: BaseException) -> Record:
    """`base`, the student's row so far (perhaps no more than `unscored`), as a row the
    grader failed on: whatever was already graded is kept."""
    message = (
        f"the grader failed while {during} ({type(error).__name__}: {error}); "
        "this is not the student's fault, and the next run grades it again"
    )
    return base.with_(status=Status.GRADER_ERROR, message=message)


def unscored(student: str, max_score: float) -> Record:
    """A row with nothing graded yet, for `grader_error` to fill in."""
    return Record(student=student, status=Status.GRADER_ERROR, max_score=max_score, message="")


def observations_of(report: SubjectReport) -> list[dict[str, Any]]:
    """The questions asked and the student's answers, and the notebook's own training run,
    kept for feedback pages."""
    kept = [
        {"question": question.to_json(), "answer": answer.to_json()}
        for (_, question), answer in report.answers.items()
    ]
    if report.training is not None:
        kept.append({"question": TRAINING, "answer": report.training.to_json()})
    return kept


def record_of(
    report: SubjectReport,
    limits: Limits,
    notes: list[str],
    output: str,
    max_score: float,
) -> Record:
    """The record of one subject whose checks have run."""
    if report.fault:
        status, message = (
            Status.GRADER_ERROR,
            (
                f"the grader failed on this submission ({report.fault}); this is not the "
                "student's fault, the points shown may be incomplete, and the next run grades "
                "it again"
            ),
        )
    else:
        subject: Any = report.subject
        status, message = classify(
            report.results, report.unavailable, getattr(subject, "limit_hit", None), limits
        )
    return Record(
        student=report.subject.id,
        status=status,
        max_score=max_score,
        message=message,
        checks=tuple(report.results),
        notes=tuple(notes),
        output=output,
        observations=tuple(observations_of(report)),
        seed=report.subject.seed,
    )
