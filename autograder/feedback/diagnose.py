"""Likely mistakes of one submission, recognised from the values its code produced.

The formulas for each mistake live in `autograder.diagnosis`; this module only decides which
observed answer to hold against which formula.
"""

from __future__ import annotations

from functools import cache

from ..checks.expect import close
from ..diagnosis import (
    ITEM_IN_LOSS,
    LOSS_CHANGES_INPUT,
    LOSS_HARD_CODED,
    LOSS_NOT_SCALAR,
    LOST_PARAMETER,
    NO_ZERO_GRAD,
    Mistake,
    diagnose_error,
    diagnose_loss_value,
    diagnose_step,
)
from ..lesson import FIRST_GUESS
from ..record import Record
from ..reference import Lesson, as_tensor, the_lesson
from .observed import Observed, observed


def loss_mistakes(record: Record, seen: Observed, lesson: Lesson) -> list[Mistake]:
    """What `mean_squared_error` got wrong on the lesson data, or only beyond it."""
    run = seen.lesson_loss
    if run is None:
        return []
    if run.error:
        return _found(diagnose_error(run.error))
    guess = lesson.prediction(as_tensor(FIRST_GUESS))
    value_mistake = (
        diagnose_loss_value(run.value, lesson.y, guess) if run.value is not None else None
    )
    not_scalar = run.returned == "tensor" and run.shape not in ([], None)
    changed = run.y_guess_after != lesson.guess_prediction32() or run.y_after != lesson.y32.tolist()
    return _found(
        ITEM_IN_LOSS if run.returned == "number" else None,
        LOSS_NOT_SCALAR if not_scalar else None,
        LOSS_CHANGES_INPUT if changed else None,
        value_mistake,
        _hard_coded(record),
    )


def _hard_coded(record: Record) -> Mistake | None:
    """Right on the lesson's data, wrong on data the student never saw."""
    passed = {check.id: check.passed for check in record.checks}
    lesson_ok = passed.get("loss.value_on_lesson_data")
    unseen_ok = passed.get("loss.value_on_unseen_inputs")
    return LOSS_HARD_CODED if lesson_ok and unseen_ok is False else None


def update_mistakes(seen: Observed, lesson: Lesson) -> list[Mistake]:
    """What `update()` got wrong: its first step, what it did to `a`, and to `a.grad`."""
    run = seen.first_step
    if run is None:
        return []
    if run.error:
        return _found(diagnose_error(run.error))
    if not run.completed:
        return []
    state = run.after_each_call[0]
    if not state.still_bound:
        return [LOST_PARAMETER]
    return _found(_step_mistake(tuple(state.values)), _zeroing_mistake(seen, state.grad))


@cache
def _step_mistake(after: tuple[float, ...]) -> Mistake | None:
    """Cached: students who make the same mistake usually land on the very same numbers."""
    if len(after) != len(FIRST_GUESS):
        return None
    return diagnose_step(the_lesson(), as_tensor(FIRST_GUESS), as_tensor(after))


def _zeroing_mistake(seen: Observed, grad: list[float] | None) -> Mistake | None:
    """The gradient left behind after a call, or a second step that is not a fresh one."""
    if grad is not None and any(value != 0.0 for value in grad):
        return NO_ZERO_GRAD
    twice, fresh = seen.two_calls, seen.fresh_second_step
    if twice is None or fresh is None or twice.completed < 2 or not fresh.completed:
        return None
    continued, restarted = twice.after_each_call[1].values, fresh.after_each_call[0].values
    return None if close(continued, as_tensor(restarted), tolerance=1e-5) else NO_ZERO_GRAD


def _found(*mistakes: Mistake | None) -> list[Mistake]:
    return [mistake for mistake in mistakes if mistake is not None]


def diagnose_record(record: Record) -> list[Mistake]:
    """The likely mistakes behind a record's lost points, each named once, loss first."""
    lesson = the_lesson()
    seen = observed(record, lesson)
    unique: dict[str, Mistake] = {}
    for mistake in loss_mistakes(record, seen, lesson) + update_mistakes(seen, lesson):
        unique.setdefault(mistake.key, mistake)
    return list(unique.values())
