"""Whether the lesson makes an exercise the checks can grade, by the judge's own maths.

A lesson is refused when the reference's own training, the lesson's number of correct steps
from its first guess, diverges or ends farther from the least-squares fit than the convergence
check allows; or when the first guess is already as close as that, so training has nothing to
show. Everything else a check compares scales with the lesson (see `reference.Reference`).
"""

from __future__ import annotations

import math

from autograder.judge.reference import ieee_arithmetic, reference_for
from autograder.judge.wording import vector
from autograder.lesson import IllPosedLesson, Lesson


def refuse_ill_posed(lesson: Lesson) -> None:
    """`IllPosedLesson`, in one sentence naming the cells and values, unless the lesson's own
    training reaches the fit as the convergence check requires."""
    reference = reference_for(lesson)
    fit = reference.least_squares
    start, lr, epochs = reference.first_guess, lesson.lr, lesson.epochs
    training = lesson.cells.training
    if reference.distance_to_fit(start) <= reference.tolerance * 10:
        raise IllPosedLesson(
            f"{training}: the first guess {vector(start)} is already within "
            f"{10 * reference.tolerance:.3g} of the least-squares fit {vector(fit)}, so "
            "training has nothing to show: start farther away"
        )
    with ieee_arithmetic():  # a learning rate that diverges overflows
        end = reference.descend(start, epochs)[-1]
    with_lr = f"with lr = {lr:g} ({lesson.cells.learning_rate})"
    calls = f"{epochs} calls of update() ({training})"
    if not all(math.isfinite(v) for v in end.tolist()) or reference.distance_to_fit(
        end
    ) > reference.distance_to_fit(start):
        raise IllPosedLesson(
            f"{with_lr}, training diverges: {calls} move a away from the least-squares fit "
            f"{vector(fit)} instead of towards it; lower the learning rate"
        )
    distance = reference.distance_to_fit(end)
    if distance > reference.tolerance:
        raise IllPosedLesson(
            f"{with_lr}, {calls} end at {vector(end)}, {distance:.3g} from the least-squares "
            f"fit {vector(fit)}; the convergence check allows {reference.tolerance:.3g}: raise "
            "the learning rate or the number of epochs"
        )
