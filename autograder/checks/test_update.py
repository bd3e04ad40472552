"""Checks for `update()`: one call is one correct step of gradient descent on `a`."""

from __future__ import annotations

from collections.abc import Sequence

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import diagnose_step
from autograder.judge.expect import (
    a_computed_step,
    close,
    first_guess,
    one_call,
    training_from_the_first_guess,
    vector,
)
from autograder.judge.reference import as_tensor

CATEGORY = "update"


def one_step_from(student, reference, start: Sequence[float], hidden: bool) -> None:
    """Fail unless one call from `start` lands where one step of gradient descent does; a
    `hidden` start is never shown, nor where `a` went from it."""
    _, after = one_call(student, start)
    expected = reference.step_from(as_tensor(start))
    if close(after.tolist(), expected):
        return
    mistake = diagnose_step(reference, as_tensor(start), after)
    if hidden:
        fail(
            "from another starting point, one call did not take one step of a −= 0.1·∇loss", mistake
        )
    fail(
        f"from a = {vector(start)} one call moved a to {vector(after)}; one step of "
        f"a −= 0.1·∇loss gives {vector(expected)}",
        mistake,
    )


@check("update.steps_from_first_guess", 1)
def test_one_call_from_the_first_guess_takes_one_step_of_size_lr(student, reference, unseen):
    one_step_from(student, reference, first_guess(), hidden=False)
    # The right numbers from the one start everybody knows could be written down by hand:
    # the step must also be computed, so from elsewhere it runs along the gradient too.
    a_computed_step(student, reference, unseen.starts[0], hidden=True)


@check("update.steps_from_unseen_starts", 1)
def test_one_call_takes_one_step_from_any_starting_point(student, reference, unseen):
    for start in unseen.starts:
        one_step_from(student, reference, start, hidden=True)


@check("update.keeps_a_trainable_parameter", 1)
def test_a_stays_the_same_trainable_parameter_and_keeps_learning(student, reference):
    run = training_from_the_first_guess(student, reference, 2)
    first, second = run.after_each_call
    if not (second.is_parameter and second.is_leaf and second.requires_grad):
        fail(
            "after update() a is no longer an nn.Parameter that requires grad — step it in "
            "place inside torch.no_grad() so it keeps learning"
        )
    if second.values == first.values:
        fail("the second call of update() did not move a; it should keep learning")
