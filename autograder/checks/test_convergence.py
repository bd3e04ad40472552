"""Checks that 100 calls of `update()` fit the line."""

from __future__ import annotations

import math

from autograder.exercise import EPOCHS
from autograder.judge.check import check, fail
from autograder.judge.expect import step_taken, training_from_the_first_guess, vector

CATEGORY = "convergence"
TOLERANCE = 0.02


@check("convergence.reaches_least_squares_fit", 2)
def test_100_updates_from_the_first_guess_reach_the_least_squares_fit(student, reference):
    run = training_from_the_first_guess(student, reference, EPOCHS)
    final = step_taken(run, EPOCHS - 1).tolist()
    target = reference.least_squares
    if not all(math.isfinite(v) for v in final):
        fail(f"after {EPOCHS} updates a is {vector(final)}: training diverged")
    distance = max(abs(v - t) for v, t in zip(final, target.tolist(), strict=True))
    if distance > TOLERANCE:
        fail(
            f"after {EPOCHS} updates a is {vector(final)}; the least-squares fit is "
            f"{vector(target)} (allowed difference {TOLERANCE}, found {distance:.3g})"
        )
