"""The hidden checks, written as pytest tests.

Every check is a test function marked with `@check(id, category, points)`. It receives the
`student` fixture (see `autograder.student.Student`) and the `lesson` fixture (the judge's
float64 copy of the lesson with the correct answers), asks the student's functions a question,
and calls `fail(...)` with a message the student can act on when the answer is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

CATEGORIES = ("loss", "update", "zero_grad", "convergence")
CHECKS_DIR = Path(__file__).parent


def check(id: str, category: str, points: float) -> pytest.MarkDecorator:
    """Give a test its stable id, its category and the points it is worth."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    return pytest.mark.check(id=id, category=category, points=points)


CheckFailed = pytest.fail.Exception


def fail(message: str) -> NoReturn:
    """A check's verdict, written for the student; pytest records it without a traceback."""
    pytest.fail(message, pytrace=False)
