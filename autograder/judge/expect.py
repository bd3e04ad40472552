"""Shared wording, comparisons and preconditions for the checks.

The preconditions are where "no vacuous credit" is decided: `a_loss_that_computes` and
`a_step_along_the_gradient` fail a check whose property would otherwise be true of code that
does not do the job at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from autograder.exercise import FIRST_GUESS
from autograder.inside.observations import LossRun, UpdateRun
from autograder.judge.check import fail
from autograder.judge.diagnosis import (
    LOSS_CONSTANT,
    LOSS_NOT_REPEATABLE,
    LOST_PARAMETER,
    NOT_ALONG_GRADIENT,
    NOT_IMPLEMENTED,
    diagnose_error,
    diagnose_step,
    undefined,
)
from autograder.judge.reference import Reference, as_tensor
from autograder.judge.student import Student

OTHER_GUESS = (0.5, -0.5)  # a second public guess, to see that the loss depends on y_guess
Y_SHIFT = 1.0  # and a shift of the targets, to see that it depends on y


def number(value: float) -> str:
    return f"{value:.6g}"


def vector(values: Sequence[float] | torch.Tensor) -> str:
    items = values.tolist() if isinstance(values, torch.Tensor) else values
    return "(" + ", ".join(f"{v:.4g}" for v in items) + ")"


def close(
    observed: Sequence[float] | None, expected: torch.Tensor, tolerance: float = 1e-4
) -> bool:
    """Float32 results against float64 expectations, relative to the values' size."""
    if observed is None or len(observed) != expected.numel():
        return False
    observed_tensor = torch.tensor(list(observed), dtype=torch.float64)
    return bool(
        torch.allclose(observed_tensor, expected.reshape(-1), rtol=tolerance, atol=tolerance / 10)
    )


def raised(function: str, error: str) -> str:
    if error.startswith("NotImplementedError"):
        return f"{function} is not implemented yet"
    return f"{function} raised {error}"


def loss_ran(run: LossRun) -> None:
    """Fail unless the call returned: undefined, or raised."""
    if run.undefined:
        fail("mean_squared_error is not defined", undefined("mean_squared_error"))
    if run.error:
        mistake = NOT_IMPLEMENTED if run.error.startswith("NotImplementedError") else None
        fail(raised("mean_squared_error", run.error), mistake or diagnose_error(run.error))


def update_ran(run: UpdateRun, calls_needed: int = 1) -> None:
    """Fail unless `calls_needed` calls returned, each leaving two readable numbers in `a`."""
    if run.completed < calls_needed:
        if run.undefined:
            fail("update() is not defined", undefined("update()"))
        if run.error:
            mistake = NOT_IMPLEMENTED if run.error.startswith("NotImplementedError") else None
            fail(raised("update()", run.error), mistake or diagnose_error(run.error))
        fail("update() did not finish")
    for state in run.after_each_call[:calls_needed]:
        if not state.still_bound:
            fail("after update() the name a refers to a new object", LOST_PARAMETER)
        if state.values is None or len(state.values) != len(run.start):
            fail(f"after update() a no longer holds {len(run.start)} real numbers")


def lesson_loss(student: Student, reference: Reference, repeat: int = 0) -> LossRun:
    """The loss of the first guess on the lesson's data, as the notebook computes it."""
    return student.loss(reference.y32.tolist(), reference.prediction32(), repeat)


def a_loss_that_computes(student: Student, reference: Reference) -> LossRun:
    """The loss of the first guess, once the loss is known to compute its value from y and
    y_guess: the same value for the same inputs, another when either changes."""
    run = lesson_loss(student, reference)
    loss_ran(run)
    if run.values is None:
        if run.problem:
            what = run.problem
        elif run.returned == "NoneType":
            what = "None"
        else:
            what = f"a {run.returned}"
        fail(
            f"mean_squared_error returned {what}; it must return a number computed from y "
            "and y_guess"
        )
    again = lesson_loss(student, reference, repeat=1)
    other_guess = student.loss(reference.y32.tolist(), reference.prediction32(OTHER_GUESS))
    other_y = student.loss([v + Y_SHIFT for v in reference.y32.tolist()], reference.prediction32())
    for other in (again, other_guess, other_y):
        loss_ran(other)
    if again.values != run.values:
        fail(
            "mean_squared_error returned different values for the same y and y_guess",
            LOSS_NOT_REPEATABLE,
        )
    if other_guess.values == run.values or other_y.values == run.values:
        fail(
            "mean_squared_error returns the same value when y or y_guess changes, so it does "
            "not measure the guess",
            LOSS_CONSTANT,
        )
    return run


def step_taken(run: UpdateRun, call: int = 0) -> torch.Tensor:
    """Where call `call` of a run left `a` (after `update_ran` has passed)."""
    values = run.after_each_call[call].values
    assert values is not None
    return as_tensor(values)


def a_step_along_the_gradient(
    reference: Reference, start: Sequence[float], after: torch.Tensor, hidden: bool = False
) -> None:
    """Fail unless going from `start` to `after` used the gradient (any size or sign). A
    `hidden` start is never shown, nor where `a` went from it."""
    begin = as_tensor(start)
    if reference.moves_along_gradient(begin, after):
        return
    moved = (
        "from a starting point you have not seen, update() moved a"
        if hidden
        else f"from a = {vector(start)} update() moved a to {vector(after)}"
    )
    fail(
        f"{moved}, which is not a step along the gradient, so this check cannot give credit yet",
        diagnose_step(reference, begin, after) or NOT_ALONG_GRADIENT,
    )


def first_guess() -> list[float]:
    return list(FIRST_GUESS)


def one_call(student: Student, start: Sequence[float]) -> tuple[UpdateRun, torch.Tensor]:
    """One call of `update()` from `start`: the run, and where it left `a`."""
    run = student.updates(list(start), 1)
    update_ran(run)
    return run, step_taken(run)


def a_computed_step(
    student: Student, reference: Reference, start: Sequence[float], hidden: bool = False
) -> tuple[UpdateRun, torch.Tensor]:
    """One call from `start` that must run along the gradient (a step `update()` computed)."""
    run, after = one_call(student, start)
    a_step_along_the_gradient(reference, start, after, hidden)
    return run, after


def training_from_the_first_guess(student: Student, reference: Reference, calls: int) -> UpdateRun:
    """`calls` calls from the first guess, all returned, the first a step along the gradient."""
    run = student.updates(first_guess(), calls)
    update_ran(run, calls_needed=1)
    a_step_along_the_gradient(reference, first_guess(), step_taken(run, 0))
    update_ran(run, calls_needed=calls)
    return run
