"""Checks that `update()` clears the gradient, so each call starts fresh."""

from __future__ import annotations

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import NO_ZERO_GRAD
from autograder.judge.expect import (
    a_step_along_the_gradient,
    close,
    first_guess,
    step_taken,
    update_ran,
    vector,
)

CATEGORY = "zero_grad"


@check("zero_grad.cleared_after_update", 1)
def test_the_gradient_is_zero_after_update(student, reference, unseen):
    for start in unseen.starts:
        run = student.updates(list(start), 1)
        update_ran(run)
        a_step_along_the_gradient(reference, start, step_taken(run), hidden=True)
        grad = run.after_each_call[0].grad
        if grad is not None and any(value != 0.0 for value in grad):
            fail("after update() a.grad is not zero", NO_ZERO_GRAD)


@check("zero_grad.fresh_gradient_each_call", 1)
def test_a_second_call_steps_with_a_fresh_gradient(student, reference):
    twice = student.updates(first_guess(), 2)
    update_ran(twice, calls_needed=2)
    midway = step_taken(twice, 0)
    a_step_along_the_gradient(reference, first_guess(), midway)
    fresh = student.updates(midway.tolist(), 1)
    update_ran(fresh)
    restarted = step_taken(fresh)
    a_step_along_the_gradient(reference, midway.tolist(), restarted)
    continued = step_taken(twice, 1)
    if not close(continued.tolist(), restarted, tolerance=1e-5):
        fail(
            f"the second call moved a to {vector(continued)}, but a first call from the same "
            f"point moves it to {vector(restarted)}: gradients are piling up between calls",
            NO_ZERO_GRAD,
        )
