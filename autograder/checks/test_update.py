"""Checks for `update()`: every call is one correct step of gradient descent on `a`, from
wherever `a` is when the call begins."""

from __future__ import annotations

from autograder.judge.check import check, fail
from autograder.judge.expect import Run, computed_steps, hidden_runs, training_run
from autograder.judge.reference import Reference
from autograder.judge.steps import Kind, diagnose, first_wrong
from autograder.judge.wording import vector

CATEGORY = "update"
ONE_STEP = {Kind.CORRECT, Kind.LEFTOVER}  # a leftover gradient is zero_grad's to judge


def every_call_one_step(reference: Reference, run: Run) -> None:
    """Fail at the first call of `run` that is not one step of `a -= lr * a.grad`."""
    wrong = first_wrong(run.calls, ONE_STEP)
    if wrong is None:
        return
    mistake = diagnose(reference, run.calls, wrong)
    rule = f"a −= {reference.lr:g}·∇loss"
    if run.hidden:
        fail(f"{run.where(wrong)} did not take one step of {rule}", mistake)
    fail(
        f"{run.where(wrong)} moved a from {vector(wrong.before)} to {vector(wrong.after)}; one "
        f"step of {rule} gives {vector(reference.step_from(wrong.before))}",
        mistake,
    )


@check("update.steps_from_first_guess", 1)
def test_every_call_of_training_takes_one_step_of_size_lr(student, reference):
    run = training_run(student, reference)
    computed_steps(reference, [run])
    every_call_one_step(reference, run)
    # The steps from the one start everybody knows could be written down by hand: the step
    # must also be computed, so from elsewhere it runs along the gradient too.
    computed_steps(reference, hidden_runs(student, reference)[:1])


@check("update.steps_from_unseen_starts", 1)
def test_every_call_takes_one_step_from_any_starting_point(student, reference):
    for run in hidden_runs(student, reference):
        every_call_one_step(reference, run)


@check("update.keeps_a_trainable_parameter", 1)
def test_a_stays_the_same_trainable_parameter_after_every_call(student, reference):
    runs = [training_run(student, reference), *hidden_runs(student, reference)]
    computed_steps(reference, runs)
    for each in runs:
        for call in each.calls:
            if not call.trainable:
                fail(
                    f"after call {call.number} of update() a is no longer an nn.Parameter that "
                    "requires grad — step it in place inside torch.no_grad() so it keeps learning"
                )
