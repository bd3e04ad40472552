"""Checks that every call of `update()` clears the gradient, so the next starts fresh."""

from __future__ import annotations

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import NO_ZERO_GRAD
from autograder.judge.expect import computed_steps, hidden_runs, training_run
from autograder.judge.steps import Kind
from autograder.judge.wording import vector

CATEGORY = "zero_grad"


@check("zero_grad.cleared_after_update", 1)
def test_the_gradient_is_zero_after_every_call(student, reference):
    runs = [training_run(student, reference), *hidden_runs(student, reference)]
    computed_steps(reference, runs)
    for run in runs:
        for call in run.calls:
            if not call.cleared:
                fail(f"{run.where(call)} left a.grad not zero", NO_ZERO_GRAD)


@check("zero_grad.fresh_gradient_each_call", 1)
def test_every_call_steps_with_a_fresh_gradient(student, reference):
    runs = [training_run(student, reference), *hidden_runs(student, reference)]
    computed_steps(reference, runs)
    for run in runs:
        for call in run.calls:
            if call.kind is not Kind.LEFTOVER:
                continue
            piling = "gradients are piling up between calls"
            if run.hidden:
                fail(
                    f"{run.where(call)} stepped with the earlier calls' gradients added to its "
                    f"own: {piling}",
                    NO_ZERO_GRAD,
                )
            fail(
                f"{run.where(call)} moved a to {vector(call.after)}, a step with the earlier "
                "calls' gradients added to its own, where a fresh gradient moves it to "
                f"{vector(reference.step_from(call.before))}: {piling}",
                NO_ZERO_GRAD,
            )
