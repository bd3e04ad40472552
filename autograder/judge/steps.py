"""Every call of `update()` in a run, judged from where `a` was when the call began.

A training run is only as right as its worst call, and a function that keeps state between
calls (a velocity, a call counter, a learning rate it decays, a gradient it zeroes only once)
is right on some calls and wrong on others. So each call of each run is put in one of four
kinds, by the judge's maths alone:

- `CORRECT`: one step `a -= lr * gradient` from where `a` was;
- `LEFTOVER`: one such step, but with what `a.grad` still held from the calls before added to
  the gradient: the step rule is right and the gradient was not zeroed (a zero_grad mistake);
- `ALONG`: a move along the gradient that is not one step of `lr` (another size, uphill, or a
  few correct steps in one call);
- `OFF`: anything else: no move, a jump, momentum, a random move.

Each check reads the kinds it is about, so a difference between calls costs points in the
category it belongs to.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from enum import Enum

import numpy as np

from autograder.inside.observations import UpdateRun
from autograder.judge.diagnosis import (
    JUMPED_TO_FIT,
    MOMENTUM,
    NO_STEP,
    NOT_ALONG_GRADIENT,
    STOPPED,
    WRONG_SIGN,
    changing_learning_rate_mistake,
    learning_rate_mistake,
    several_steps_mistake,
)
from autograder.judge.record import Mistake
from autograder.judge.reference import FEW_STEPS, Flags, Floats, Reference, as_floats


class Kind(Enum):
    CORRECT = "one step of gradient descent"
    LEFTOVER = "one step with the earlier calls' gradients still in a.grad"
    ALONG = "a move along the gradient, but not one step of the learning rate"
    OFF = "a move that is not along the gradient"


@dataclass(frozen=True)
class Call:
    """One call of `update()`: where `a` was before and after it, and what kind of move."""

    number: int  # from 1
    before: Floats
    after: Floats
    grad_before: Floats | None  # what a.grad held when the call began
    grad_after: Floats | None
    kind: Kind
    trainable: bool  # `a` is still an nn.Parameter, a leaf that requires grad

    @property
    def steps_along(self) -> bool:
        """A move along the gradient at `before` (any size or sign), with a fresh gradient."""
        return self.kind in (Kind.CORRECT, Kind.ALONG)

    @property
    def step_rule_right(self) -> bool:
        """One step of the learning rate with whatever gradient backward() left in a.grad."""
        return self.kind in (Kind.CORRECT, Kind.LEFTOVER)

    @property
    def cleared(self) -> bool:
        return self.grad_after is None or not self.grad_after.any()


def judged(reference: Reference, run: UpdateRun) -> list[Call]:
    """Every completed call of `run`, each judged from where `a` was when it began (once per
    run and lesson). The run's states must hold readable positions (see `expect.update_ran`)."""
    key = (id(run), reference.lesson.hash)
    if key not in _judged:
        _judged[key] = _judge(reference, run)
        weakref.finalize(run, _judged.pop, key, None)
    return _judged[key]


_judged: dict[tuple[int, str], list[Call]] = {}  # while the run lives


def _judge(reference: Reference, run: UpdateRun) -> list[Call]:
    """All calls at once: the kinds are decided for the whole run in a few array operations,
    the costly test for a move along the gradient only for calls that are not one step."""
    if not run.after_each_call:
        return []
    after = np.array([state.values for state in run.after_each_call], dtype=np.float64)
    before = np.concatenate([as_floats(run.start)[None], after[:-1]])
    grads = [
        as_floats(state.grad)
        if state.grad is not None and len(state.grad) == len(run.start)
        else None
        for state in run.after_each_call
    ]
    leftover = np.stack(
        [g if g is not None else np.zeros(len(run.start)) for g in [None, *grads[:-1]]]
    )
    gradient = reference.gradients_at(before)
    correct = reference.same_steps(before, after, before - reference.lr * gradient)
    stale = leftover.any(axis=1) & reference.same_steps(
        before, after, before - reference.lr * (gradient + leftover)
    )
    along = np.zeros_like(correct)
    undecided = ~(correct | stale)  # the kinds are decided in this order: CORRECT comes first
    if undecided.any():
        along[undecided] = _along(
            reference, before[undecided], after[undecided], gradient[undecided]
        )
    calls = []
    for index, state in enumerate(run.after_each_call):
        if correct[index]:
            kind = Kind.CORRECT
        elif stale[index]:
            kind = Kind.LEFTOVER
        elif along[index]:
            kind = Kind.ALONG
        else:
            kind = Kind.OFF
        trainable = state.is_parameter and state.is_leaf and state.requires_grad
        grad_before = grads[index - 1] if index else None
        calls.append(
            Call(index + 1, before[index], after[index], grad_before, grads[index], kind, trainable)
        )
    return calls


def _along(reference: Reference, before: Floats, after: Floats, gradient: Floats) -> Flags:
    """For each call: a real move along the gradient, a multiple of it or a few correct steps.
    Landing on the least-squares fit where a few correct steps would not is a jump, even where
    it runs along the gradient (as it does once training has left only its slowest direction)."""
    moved = ~reference.same_steps(before, after, before) & gradient.any(axis=1)
    size = _sizes_along(before, after, gradient)
    parallel = moved & reference.same_steps(before, after, before - size[:, None] * gradient)
    several = np.zeros_like(moved)
    position = before
    for _ in range(FEW_STEPS):
        position = position - reference.lr * reference.gradients_at(position)
        several |= moved & reference.same_steps(before, after, position)
    at_fit = reference.same_positions(after, np.broadcast_to(reference.least_squares, after.shape))
    return (parallel & ~at_fit) | several


def _sizes_along(before: Floats, after: Floats, gradient: Floats) -> Floats:
    """For each call, the learning rate whose step along the gradient comes closest."""
    squared = (gradient * gradient).sum(axis=1)
    return -((after - before) * gradient).sum(axis=1) / np.where(squared > 0, squared, 1.0)


def first_wrong(calls: list[Call], right: set[Kind]) -> Call | None:
    return next((call for call in calls if call.kind not in right), None)


def diagnose(reference: Reference, calls: list[Call], wrong: Call) -> Mistake | None:
    """What the first wrong call of a run most likely did."""
    if wrong.kind is Kind.LEFTOVER:
        return None  # the zero_grad checks name it
    gradient = reference.gradient_at(wrong.before)
    if wrong.kind is Kind.ALONG:
        steps = reference.steps_to(wrong.before, wrong.after, FEW_STEPS)
        if steps is not None and steps > 1:
            return several_steps_mistake(steps)
        size = float(_sizes_along(wrong.before[None], wrong.after[None], gradient[None])[0])
        if any(call.kind is Kind.CORRECT for call in calls[: wrong.number - 1]):
            return changing_learning_rate_mistake(wrong.number, size, reference.lr)
        if abs(size + reference.lr) <= 1e-3 * reference.lr:
            return WRONG_SIGN
        return learning_rate_mistake(size, reference.lr)
    if reference.same_position(wrong.after, wrong.before):
        moved_before = any(call.kind is not Kind.OFF for call in calls[: wrong.number - 1])
        return STOPPED if moved_before else NO_STEP
    if reference.same_position(wrong.after, reference.least_squares):
        return JUMPED_TO_FIT
    if wrong.number > 1 and _momentum(reference, calls[wrong.number - 2], wrong, gradient):
        return MOMENTUM
    return NOT_ALONG_GRADIENT


def _momentum(reference: Reference, previous: Call, wrong: Call, gradient: Floats) -> bool:
    """Whether the move is one step plus a share of the previous call's move (a velocity)."""
    previous_move = previous.after - previous.before
    if not previous_move.any():
        return False
    extra = (wrong.after - wrong.before) + reference.lr * gradient
    share = float(extra @ previous_move / (previous_move @ previous_move))
    return 0.0 < share < 1.5 and reference.same_position(extra, share * previous_move)
