"""Checks for `update()`: one call is one correct step of gradient descent on `a`."""

from __future__ import annotations

from .. import lesson as setting
from ..diagnosis import LOST_PARAMETER, diagnose_step
from ..reference import as_tensor
from . import check, fail
from .expect import close, update_ran, vector, with_hint
from .hidden_inputs import UNSEEN_STARTS


def wrong_step(student, lesson, start: tuple[float, ...]) -> tuple[list[float], str] | None:
    """Where one call from `start` moved a, and the likely mistake, when it is not one step."""
    run = student.updates(list(start), 1)
    update_ran(run)
    after = run.after_each_call[0].values
    begin = as_tensor(start)
    if close(after, lesson.step_from(begin)):
        return None
    mistake = diagnose_step(lesson, begin, as_tensor(after)) if len(after) == 2 else None
    return after, with_hint("", mistake)


@check("update.steps_from_first_guess", "update", 1)
def test_one_call_from_the_first_guess_takes_one_step_of_size_lr(student, lesson):
    wrong = wrong_step(student, lesson, setting.FIRST_GUESS)
    if wrong:
        after, hint = wrong
        expected = lesson.step_from(as_tensor(setting.FIRST_GUESS))
        fail(
            f"from a = {vector(setting.FIRST_GUESS)} one call moved a to {vector(after)}; "
            f"one step of a −= 0.1·∇loss gives {vector(expected)}{hint}"
        )


@check("update.steps_from_unseen_starts", "update", 1)
def test_one_call_takes_one_step_from_any_starting_point(student, lesson):
    for start in UNSEEN_STARTS:
        wrong = wrong_step(student, lesson, start)
        if wrong:
            fail(
                f"from another starting point, one call did not take one step of "
                f"a −= 0.1·∇loss{wrong[1]}"
            )


@check("update.keeps_a_trainable_parameter", "update", 1)
def test_a_stays_the_same_trainable_parameter(student):
    run = student.updates(list(setting.FIRST_GUESS), 2)
    update_ran(run, calls_needed=2)
    first, second = run.after_each_call
    if not second.still_bound:
        fail(with_hint("after update() the name a refers to a new object", LOST_PARAMETER))
    if not (second.is_parameter and second.is_leaf and second.requires_grad):
        fail(
            "after update() a is no longer an nn.Parameter that requires grad — step it in "
            "place inside torch.no_grad() so it keeps learning"
        )
    if second.values == first.values:
        fail("the second call of update() did not move a; it should keep learning")
