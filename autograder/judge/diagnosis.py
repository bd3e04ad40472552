"""Naming a student's likely mistake from the numbers their code produced.

Each known mistake is a formula for what that mistake would have returned. When the observed
value matches one of them (and not the right answer), the mistake is named. Nothing here reads
the student's source text.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from autograder.judge.record import UNDEFINED, Mistake
from autograder.judge.reference import Floats

LOSS_MISTAKES: list[tuple[Mistake, Callable[[Floats, Floats], float]]] = [
    (
        Mistake("loss_sum", "summed instead of averaged", "did you sum instead of average?"),
        lambda y, g: float(((g - y) ** 2).sum()),
    ),
    (
        Mistake("loss_no_square", "forgot to square", "did you forget to square the differences?"),
        lambda y, g: float((g - y).mean()),
    ),
    (
        Mistake(
            "loss_absolute",
            "absolute instead of squared error",
            "did you take the absolute value instead of squaring?",
        ),
        lambda y, g: float(np.abs(g - y).mean()),
    ),
    (
        Mistake(
            "loss_root",
            "took the square root (RMSE)",
            "did you take a square root? The lesson's loss is the mean of the squares.",
        ),
        lambda y, g: float(np.sqrt(((g - y) ** 2).mean())),
    ),
    (
        Mistake(
            "loss_square_of_mean",
            "squared the mean instead of averaging squares",
            "did you square after averaging? Square each difference first.",
        ),
        lambda y, g: float((g - y).mean() ** 2),
    ),
    (
        Mistake(
            "loss_half",
            "halved the mean squared error",
            "did you divide by 2? The lesson's loss is the plain mean of the squares.",
        ),
        lambda y, g: float(((g - y) ** 2).mean() / 2),
    ),
    (
        Mistake(
            "loss_sum_absolute",
            "summed absolute differences",
            "did you sum absolute differences instead of averaging squares?",
        ),
        lambda y, g: float(np.abs(g - y).sum()),
    ),
    (
        Mistake("loss_n_minus_one", "divided by n - 1", "did you divide by n - 1 instead of n?"),
        lambda y, g: float(((g - y) ** 2).sum() / max(len(y) - 1, 1)),
    ),
]

ITEM_IN_LOSS = Mistake(
    "loss_item",
    "returned a Python number (.item()), breaking the gradient",
    "did you call .item() or float()? Return the tensor so backward() can reach y_guess.",
)
NOT_IMPLEMENTED = Mistake(
    "not_implemented", "not implemented yet", "replace `raise NotImplementedError()` with your code"
)
WRONG_SIGN = Mistake(
    "update_wrong_sign",
    "stepped uphill (wrong sign)",
    "did you add lr * a.grad instead of subtracting it?",
)
NO_STEP = Mistake(
    "update_no_step",
    "a did not move",
    "did you change a copy, or rebind a local name, instead of updating a in place?",
)
OUTSIDE_NO_GRAD = Mistake(
    "update_outside_no_grad",
    "stepped outside torch.no_grad()",
    "change a inside `with torch.no_grad():` (or through a.data)",
)
NO_ZERO_GRAD = Mistake(
    "no_zero_grad",
    "gradient never zeroed",
    "zero the gradient after each step: a.grad.zero_() or a.grad = None",
)
LOSS_NOT_SCALAR = Mistake(
    "loss_keeps_dimension",
    "returned a tensor with dimensions left",
    "average over every point so the loss is one number (a 0-dim tensor)",
)
LOSS_CHANGES_INPUT = Mistake(
    "loss_changes_input",
    "changed its inputs in place",
    "compute y_guess - y into a new tensor instead of y_guess -= y",
)
LOSS_HARD_CODED = Mistake(
    "loss_hard_coded",
    "right only on the lesson's data",
    "compute the loss from y and y_guess; a fixed number fails on other data",
)
LOSS_CONSTANT = Mistake(
    "loss_constant",
    "returned the same value whatever y and y_guess are",
    "compute the loss from y and y_guess: a fixed number is not a measure of a guess",
)
LOSS_NOT_REPEATABLE = Mistake(
    "loss_not_repeatable",
    "returned different values for the same y and y_guess",
    "a loss depends only on y and y_guess: no random numbers and nothing kept between calls",
)
NOT_ALONG_GRADIENT = Mistake(
    "update_not_gradient_step",
    "moved a, but not along the gradient",
    "step with the gradient PyTorch computed for you: a -= lr * a.grad after loss.backward()",
)
JUMPED_TO_FIT = Mistake(
    "update_jumps_to_fit",
    "jumped straight to the least-squares fit",
    "update() takes one small step downhill, a -= lr * a.grad; it does not solve for the best a",
)
UPDATE_LOCAL_A = Mistake(
    "update_local_a",
    "assigned to a inside update()",
    "`a = ...` inside a function makes a new local name; change the global "
    "parameter in place instead: a.sub_(lr * a.grad)",
)
NO_BACKWARD = Mistake(
    "update_no_backward",
    "used a.grad before any backward()",
    "call loss.backward() before stepping: it is what fills in a.grad",
)
STOPPED = Mistake(
    "update_stopped",
    "stopped moving a after its first calls",
    "every call takes a step from where a is now, a -= lr * a.grad: no fixed values and "
    "nothing kept between calls",
)
MOMENTUM = Mistake(
    "update_momentum",
    "carried part of the previous step into the next (momentum)",
    "each call of update() takes one plain step, a -= lr * a.grad, from where a is: keep no "
    "velocity or other state between calls",
)
LOST_PARAMETER = Mistake(
    "update_replaced_a",
    "replaced a instead of updating it",
    "update the existing parameter in place (a.sub_(...) or a -= ...)",
)


def undefined(function: str) -> Mistake:
    """The function the checks call does not exist after the notebook ran."""
    return Mistake(
        f"{UNDEFINED}{function.rstrip('()')}",
        f"{function} is not defined",
        f"keep the name the notebook asks for, {function}, and run the cell that defines it",
    )


def _close(observed: float, expected: float) -> bool:
    return math.isclose(observed, expected, rel_tol=1e-3, abs_tol=1e-6)


LossSeen = tuple[float, Floats, Floats]  # (value returned, y, y_guess)


def diagnose_loss_values(seen: list[LossSeen]) -> Mistake | None:
    """The known mistake whose formula gives every value seen, on its inputs, if any.

    All values must fit one formula: on a single point a sum is a mean and |d| may be d, so
    one value alone could name the wrong mistake."""
    if all(_close(value, float(((g - y) ** 2).mean())) for value, y, g in seen):
        return None
    for mistake, formula in LOSS_MISTAKES:
        if all(_close(value, formula(y, g)) for value, y, g in seen):
            return mistake
    return None


def learning_rate_mistake(ratio: float, lr: float) -> Mistake:
    return Mistake(
        "update_wrong_learning_rate",
        f"stepped with learning rate {ratio:.3g} instead of {lr:.3g}",
        f"the step matches a learning rate of {ratio:.3g}; step with lr = {lr:.3g}: "
        "a -= lr * a.grad",
    )


def changing_learning_rate_mistake(call: int, ratio: float, lr: float) -> Mistake:
    return Mistake(
        "update_changing_learning_rate",
        "changed the step size from one call to the next",
        f"call {call} stepped with a learning rate of {ratio:.3g}, an earlier call with "
        f"{lr:.3g}: every call of update() takes the same step, a -= lr * a.grad, with "
        "nothing kept between calls",
    )


def several_steps_mistake(steps: int) -> Mistake:
    return Mistake(
        "update_several_steps",
        f"took {steps} steps in one call",
        f"the result matches {steps} steps in one call; one call of update() takes exactly one"
        " step, so move the loop out of update()",
    )


def diagnose_error(error: str) -> Mistake | None:
    """Recognise what an exception message says about the code that raised it."""
    if error.startswith("NotImplementedError"):
        return NOT_IMPLEMENTED
    if "leaf Variable that requires grad is being used in an in-place operation" in error:
        return OUTSIDE_NO_GRAD
    if error.startswith("UnboundLocalError") and "'a'" in error:
        return UPDATE_LOCAL_A
    if "NoneType" in error:
        return NO_BACKWARD
    return None
