"""Shared wording, comparisons, runs and preconditions for the checks.

The preconditions are where "no vacuous credit" is decided: `a_loss_that_computes` and
`computed_steps` fail a check whose property would otherwise be true of code that does not do
the job at all. The runs are where "every call judged" is decided: `update()` is asked for a
whole training run (the lesson's number of epochs) from the first guess and from every hidden
start, and every call of each is judged (see `steps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from autograder.inside.observations import LossRun, UpdateRun
from autograder.judge.check import fail
from autograder.judge.diagnosis import (
    LOSS_CONSTANT,
    LOSS_NOT_REPEATABLE,
    LOST_PARAMETER,
    NOT_ALONG_GRADIENT,
    NOT_IMPLEMENTED,
    diagnose_error,
    undefined,
)
from autograder.judge.reference import Floats, Reference
from autograder.judge.steps import Call, diagnose, judged
from autograder.judge.student import Student
from autograder.judge.wording import vector

Y_SHIFT = 1.0  # a shift of the targets, to see that the loss depends on y


def close(observed: Sequence[float] | None, expected: Floats, tolerance: float = 1e-4) -> bool:
    """Float32 results against float64 expectations, relative to the values' size."""
    if observed is None or len(observed) != expected.size:
        return False
    observed_floats = np.array(list(observed), dtype=np.float64)
    return bool(
        np.allclose(observed_floats, expected.reshape(-1), rtol=tolerance, atol=tolerance / 10)
    )


def first_far(
    observed: Sequence[Sequence[float] | None], expected: Floats, tolerance: float = 1e-4
) -> int | None:
    """The index of the first row of `observed` that is missing or not `close` to its row of
    `expected` (one row per call), all rows compared at once."""
    width = expected.shape[1]
    missing = [index for index, row in enumerate(observed) if row is None or len(row) != width]
    rows = [row if row is not None and len(row) == width else [0.0] * width for row in observed]
    values = np.array(rows, dtype=np.float64).reshape(len(rows), width)
    near = np.isclose(values, expected, rtol=tolerance, atol=tolerance / 10).all(axis=1)
    far = [int(index) for index in np.flatnonzero(~near)]
    return min([*missing, *far], default=None)


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


def lesson_loss(student: Student, reference: Reference, repeat: int = 0) -> LossRun:
    """The loss of the first guess on the lesson's data, as the notebook computes it."""
    return student.loss(reference.y_given, reference.prediction_given(), repeat)


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
    y = reference.y_given
    other_guess = student.loss(y, reference.prediction_given(_other_guess(reference)))
    other_y = student.loss([v + Y_SHIFT for v in reference.y_given], reference.prediction_given())
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


def _other_guess(reference: Reference) -> tuple[float, ...]:
    """A second public guess: halfway from the first guess to the fit."""
    halfway = (reference.first_guess + reference.least_squares) / 2
    return tuple(reference.given(halfway))


@dataclass(frozen=True)
class Run:
    """A whole run of `update()` from one start, every call judged."""

    start: tuple[float, ...]
    hidden: bool  # from a start the student never sees: neither it nor where `a` went is shown
    calls: list[Call]

    def where(self, call: Call) -> str:
        """How a message names a call of this run."""
        total = len(self.calls)
        if self.hidden:
            return f"from a starting point you have not seen, call {call.number} of {total}"
        return f"from the first guess {vector(self.start)}, call {call.number} of {total}"


def update_ran(run: UpdateRun) -> None:
    """Fail unless every call returned, each leaving `a` bound and holding readable numbers."""
    for number, state in enumerate(run.after_each_call, start=1):
        after = f"after call {number} of update()"
        if not state.still_bound:
            fail(f"{after} the name a refers to a new object", LOST_PARAMETER)
        if state.values is None or len(state.values) != len(run.start):
            fail(f"{after} a no longer holds {len(run.start)} real numbers")
    if run.completed < run.calls:
        when = f"at call {run.completed + 1}" if run.completed else "at its first call"
        if run.undefined:
            fail("update() is not defined", undefined("update()"))
        if run.error and run.training_failed:
            made = f"after {run.completed} calls" if run.completed else "before its first call"
            fail(
                f"the lesson's training cell raised {run.error} in your notebook {made} of "
                "update(), so update() could not be judged: does a cell of yours remove or "
                "replace a name it uses?"
            )
        if run.error:
            mistake = NOT_IMPLEMENTED if run.error.startswith("NotImplementedError") else None
            fail(f"{raised('update()', run.error)} {when}", mistake or diagnose_error(run.error))
        fail(f"update() did not finish {when}")


def training_run(student: Student, reference: Reference) -> Run:
    """The lesson's training: every epoch's call from the first guess, all returned."""
    return _run(student, reference, reference.lesson.first_guess, hidden=False)


def hidden_runs(student: Student, reference: Reference) -> list[Run]:
    """As many calls as training makes, from every hidden start, all returned."""
    return [_run(student, reference, start, hidden=True) for start in student.hidden.starts]


def _run(student: Student, reference: Reference, start: tuple[float, ...], hidden: bool) -> Run:
    answer = student.updates(list(start), reference.epochs)
    update_ran(answer)
    return Run(tuple(start), hidden, judged(reference, answer))


def computed_steps(reference: Reference, runs: list[Run]) -> None:
    """Fail unless the first call of every run moved `a` along the gradient (any size or
    sign): a no-op, a random move or a jump to a fixed point earns nothing in a category
    whose property it merely happens to have."""
    for run in runs:
        first = run.calls[0]
        if first.steps_along:
            continue
        if run.hidden:
            moved = "from a starting point you have not seen, update() moved a"
        else:
            moved = f"from a = {vector(run.start)} update() moved a to {vector(first.after)}"
        fail(
            f"{moved}, which is not a step along the gradient, so this check cannot give "
            "credit yet",
            diagnose(reference, run.calls, first) or NOT_ALONG_GRADIENT,
        )
