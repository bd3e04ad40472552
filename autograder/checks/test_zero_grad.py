"""Checks that `update()` clears the gradient, so each call starts fresh."""

from __future__ import annotations

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import NO_ZERO_GRAD
from autograder.judge.expect import a_computed_step, close, training_from_the_first_guess, vector

CATEGORY = "zero_grad"


@check("zero_grad.cleared_after_update", 1)
def test_the_gradient_is_zero_after_update(student, reference, unseen):
    for start in unseen.starts:
        run, _ = a_computed_step(student, reference, start, hidden=True)
        grad = run.after_each_call[0].grad
        if grad is not None and any(value != 0.0 for value in grad):
            fail("after update() a.grad is not zero", NO_ZERO_GRAD)


@check("zero_grad.fresh_gradient_each_call", 1)
def test_a_second_call_steps_with_a_fresh_gradient(student, reference):
    twice = training_from_the_first_guess(student, reference, 2)
    midway, continued = (state.values or [] for state in twice.after_each_call)
    _, restarted = a_computed_step(student, reference, midway)
    if not close(continued, restarted, tolerance=1e-5):
        fail(
            f"the second call moved a to {vector(continued)}, but a first call from the same "
            f"point moves it to {vector(restarted)}: gradients are piling up between calls",
            NO_ZERO_GRAD,
        )
