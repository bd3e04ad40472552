"""One record as Gradescope's results.json: the score, the student's feedback, one test per
check.

Gradescope shows the top-level `output` above its list of tests; here it is the feedback page's
sections as HTML (score, what happened, the likely mistake, pictures of the run), every piece
of student text already escaped by the page. Each test's output is plain text, which
Gradescope shows as written. Nothing here carries the hidden inputs or the checks' source: a
record's observations (the questions asked) are never written. A record the grader failed on
is shown as a grader failure, worth nothing until the instructor grades it again.
"""

from __future__ import annotations

from typing import Any

from autograder.judge.record import CheckResult, Record, Status
from autograder.judge.results import by_category

GRADER_FAILED = (
    "The grader failed while grading your submission. This is not your fault: please contact "
    "your instructor, who can grade it again."
)


def _test(check: CheckResult, number: str) -> dict[str, Any]:
    lines = [check.message] if check.message else []
    if check.mistake is not None:
        lines.append(f"Likely mistake: {check.mistake.title}")
    return {
        "name": check.id,
        "number": number,
        "score": check.points,
        "max_score": check.max_points,
        "status": "passed" if check.passed else "failed",
        "output": "\n".join(lines),
        "output_format": "text",
        "tags": [check.category],
        "visibility": "visible",
    }


def _tests(checks: tuple[CheckResult, ...]) -> list[dict[str, Any]]:
    """Tests numbered `<category>.<check>` in the notebook's order of categories, so that
    Gradescope lists them as the feedback page does."""
    return [
        _test(check, f"{major}.{minor}")
        for major, (_, group) in enumerate(by_category(checks), start=1)
        for minor, check in enumerate(group, start=1)
    ]


def _document(score: float, seconds: float, output: str, output_format: str) -> dict[str, Any]:
    return {
        "score": score,
        "execution_time": round(max(seconds, 0.0)),
        "output": output,
        "output_format": output_format,
        "visibility": "visible",
        "stdout_visibility": "hidden",  # the grader's own log is for the instructor
        "tests": [],
    }


def grader_failed(seconds: float) -> dict[str, Any]:
    """The results of a submission the grader could not grade: nothing scored, and why."""
    return _document(0.0, seconds, GRADER_FAILED, "text")


def gradescope_results(record: Record, seconds: float, feedback: str) -> dict[str, Any]:
    """`record` as Gradescope's results; `feedback` is the record's feedback sections as HTML
    (see `feedback.pages.feedback_sections`)."""
    if record.status == Status.GRADER_ERROR:
        return grader_failed(seconds)
    document = _document(record.score, seconds, feedback, "html")
    document["tests"] = _tests(record.checks)
    return document
