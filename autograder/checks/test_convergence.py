"""Checks that the lesson's training, every call a step along the gradient, fits the line."""

from __future__ import annotations

import math

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import NO_ZERO_GRAD, NOT_ALONG_GRADIENT
from autograder.judge.expect import computed_steps, training_run
from autograder.judge.steps import Kind, diagnose, first_wrong
from autograder.judge.wording import vector

CATEGORY = "convergence"


@check("convergence.reaches_least_squares_fit", 2)
def test_training_from_the_first_guess_reaches_the_least_squares_fit(student, reference):
    run = training_run(student, reference)
    computed_steps(reference, [run])
    wrong = first_wrong(run.calls, {Kind.CORRECT})
    likely = diagnose(reference, run.calls, wrong) if wrong else None
    final = run.calls[-1].after
    farther = reference.distance_to_fit(final) > reference.distance_to_fit(reference.first_guess)
    if not all(math.isfinite(v) for v in final.tolist()) or farther:
        fail(f"after {reference.epochs} updates a is {vector(final)}: training diverged", likely)
    for call in run.calls:
        if call.kind is Kind.LEFTOVER:
            fail(
                f"{run.where(call)} stepped with the earlier calls' gradients still in a.grad, "
                "so where training ends is not gradient descent's doing",
                NO_ZERO_GRAD,
            )
        if not call.steps_along:
            fail(
                f"{run.where(call)} did not move a along the gradient, so where training ends "
                "is not gradient descent's doing",
                likely or NOT_ALONG_GRADIENT,
            )
    distance = reference.distance_to_fit(final)
    if distance > reference.tolerance:
        fail(
            f"after {reference.epochs} updates a is {vector(final)}; the least-squares fit is "
            f"{vector(reference.least_squares)} (allowed difference {reference.tolerance:.3g}, "
            f"found {distance:.3g})",
            likely,
        )
