"""The hidden checks, written as pytest tests.

Every check is a test function marked with `@check(id, points)` in a module whose `CATEGORY`
names the graded cell it counts towards. It receives the `student` fixture (see
`autograder.student.Student`), the `lesson` fixture (the judge's float64 copy of the lesson,
with the correct answers) and the `unseen` fixture (inputs drawn for this grading run from a
secret seed), asks the student's functions a question, and calls `fail(message, mistake)` when
the answer is wrong, naming the mistake it recognised so the feedback need not guess again.

No vacuous credit: a check awards its points only for behaviour that does the job it names.
Before judging a property of the loss (a scalar tensor, inputs left alone, a gradient that
flows), the loss must compute something from its inputs: the same value for the same inputs,
another value when y or y_guess changes. Before judging what `update()` does to the gradient,
or whether it keeps learning and converges, its step must be a step along the gradient (of any
size or sign). A no-op, a constant, `None`, a random number or a jump to a fixed point earns
nothing in a category whose job it does not do. `expect.py` holds these preconditions.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from ..record import Mistake

CATEGORIES = ("loss", "update", "zero_grad", "convergence")
CHECKS_DIR = Path(__file__).parent


def check(id: str, points: float) -> pytest.MarkDecorator:
    """Give a test its stable id and the points it is worth; its module names the category."""
    return pytest.mark.check(id=id, points=points)


class CheckFailed(pytest.fail.Exception):  # type: ignore[misc, name-defined]
    """A check's verdict, written for the student, with the mistake it recognised."""

    def __init__(self, message: str, mistake: Mistake | None) -> None:
        super().__init__(msg=message, pytrace=False)
        self.mistake = mistake


def fail(message: str, mistake: Mistake | None = None) -> NoReturn:
    """Fail the check with `message`; `mistake` is what the student most likely did."""
    raise CheckFailed(f"{message} — {mistake.hint}" if mistake else message, mistake)
