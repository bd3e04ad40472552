"""The words a check is written in: its marker, its failure, and the check categories.

A check's category is one of the notebook's graded cells (`exercise.CATEGORIES`).
`autograder/checks/` holds the checks themselves and says how they are written.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from autograder.judge.record import Mistake

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"  # pytest collects them there


def check(id: str, points: float) -> pytest.MarkDecorator:
    """Give a test its stable id and the points it is worth; its module names the category."""
    return pytest.mark.check(id=id, points=points)


class CheckFailed(pytest.fail.Exception):  # type: ignore[misc, name-defined]
    """A check's failure, written for the student, with the mistake it recognised."""

    def __init__(self, message: str, mistake: Mistake | None) -> None:
        super().__init__(msg=message, pytrace=False)
        self.mistake = mistake


def fail(message: str, mistake: Mistake | None = None) -> NoReturn:
    """Fail the check with `message`; `mistake` is what the student most likely did."""
    raise CheckFailed(f"{message} — {mistake.hint}" if mistake else message, mistake)
