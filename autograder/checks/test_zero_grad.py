"""Checks that `update()` clears the gradient, so each call starts fresh."""

from __future__ import annotations

from .. import lesson as setting
from ..diagnosis import NO_ZERO_GRAD
from ..reference import as_tensor
from . import check, fail
from .expect import close, update_ran, vector, with_hint


@check("zero_grad.cleared_after_update", "zero_grad", 1)
def test_the_gradient_is_zero_after_update(student):
    run = student.updates(list(setting.FIRST_GUESS), 1)
    update_ran(run)
    grad = run.after_each_call[0].grad
    if grad is not None and any(value != 0.0 for value in grad):
        fail(with_hint(f"after update() a.grad is {vector(grad)}, not zero", NO_ZERO_GRAD))


@check("zero_grad.fresh_gradient_each_call", "zero_grad", 1)
def test_a_second_call_steps_with_a_fresh_gradient(student):
    twice = student.updates(list(setting.FIRST_GUESS), 2)
    update_ran(twice, calls_needed=2)
    midway = twice.after_each_call[0].values
    fresh = student.updates(midway, 1)
    update_ran(fresh)
    continued, restarted = twice.after_each_call[1].values, fresh.after_each_call[0].values
    if not close(continued, as_tensor(restarted), tolerance=1e-5):
        fail(
            with_hint(
                f"the second call moved a to {vector(continued)}, but a first call from the same "
                f"point moves it to {vector(restarted)}: gradients are piling up between calls",
                NO_ZERO_GRAD,
            )
        )
