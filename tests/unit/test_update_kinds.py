"""Every call of a run of `update()` gets the kind of move it made, whatever the calls around it.

Runs are drawn call by call from the kinds of move `steps` tells apart: one step of the
learning rate; one step with the earlier gradient left in `a.grad`; a step of another size or
sign, or a few correct steps in one call; and moves that are not along the gradient (none, a
sideways one, a jump to the fit). Each call's kind must be the one it was built as, and the
same as judging that call alone, from where it began with what `a.grad` held then.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.inside.observations import ParameterState, UpdateRun
from autograder.judge.reference import Reference, ieee_arithmetic
from autograder.judge.steps import Kind, _judge
from tests.support.lesson import lesson_in_process

MOVES = ("step", "leftover", "double", "half", "uphill", "three steps", "still", "sideways")
LAST_MOVES = (*MOVES, "fit")  # from the fit, where the gradient is zero, every move is none
BUILT_AS = {
    "step": Kind.CORRECT,
    "leftover": Kind.LEFTOVER,
    "double": Kind.ALONG,
    "half": Kind.ALONG,
    "uphill": Kind.ALONG,
    "three steps": Kind.ALONG,
    "still": Kind.OFF,
    "sideways": Kind.OFF,
    "fit": Kind.OFF,
}


@pytest.fixture(scope="module", params=[1.0, 0.3], ids=["lesson's lr", "another lr"])
def reference(request: pytest.FixtureRequest) -> Reference:
    lesson = lesson_in_process()
    return Reference(replace(lesson, lr=lesson.lr * request.param))


def _held(values: np.ndarray) -> list[float]:
    """Values as the notebook's float32 parameter holds them."""
    return values.astype(np.float32).astype(np.float64).tolist()


def _moved(reference: Reference, move: str, before: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Where `move` puts `a` from `before`, with `left` in `a.grad` from the call before."""
    gradient, lr = reference.gradient_at(before), reference.lr
    if move == "step":
        return before - lr * gradient
    if move == "leftover":
        return before - lr * (gradient + left)
    if move in ("double", "half", "uphill"):
        return before - {"double": 2.0, "half": 0.5, "uphill": -1.0}[move] * lr * gradient
    if move == "three steps":
        return reference.descend(before, 3)[-1]
    if move == "still":
        return before.copy()
    if move == "sideways":
        return before + lr * np.array([-gradient[1], gradient[0]])
    return reference.least_squares.copy()


def _run(reference: Reference, start: np.ndarray, moves: list[str]) -> UpdateRun:
    """The run whose calls make `moves` in turn; a call that keeps the gradient leaves it in
    `a.grad`, any other leaves it zeroed."""
    states, position, left = [], start, np.zeros(2)
    for move in moves:
        after = np.array(_held(_moved(reference, move, position, left)))
        left = reference.gradient_at(position) + left if move == "leftover" else np.zeros(2)
        states.append(ParameterState(after.tolist(), _held(left), True, True, True, True))
        position = after
    return UpdateRun(start.tolist(), len(moves), states, None)


def _expected(reference: Reference, run: UpdateRun, moves: list[str]) -> list[Kind]:
    """What each call was built as; a "leftover" call after a call that zeroed `a.grad` is one
    step."""
    kinds, held = [], np.zeros(2)
    for move, state in zip(moves, run.after_each_call, strict=True):
        kinds.append(Kind.CORRECT if move == "leftover" and not held.any() else BUILT_AS[move])
        held = np.array(state.grad)
    return kinds


# a start's angle around the fit, and its share of the first guess's distance from the fit
starts = st.tuples(st.floats(0.0, 2 * np.pi), st.floats(0.5, 1.0))
runs = st.tuples(st.lists(st.sampled_from(MOVES), max_size=11), st.sampled_from(LAST_MOVES)).map(
    lambda moves: [*moves[0], moves[1]]
)


def _start(reference: Reference, angle: float, share: float) -> np.ndarray:
    distance = float(np.linalg.norm(reference.first_guess - reference.least_squares))
    offset = distance * share * np.array([np.cos(angle), np.sin(angle)])
    return np.array(_held(reference.least_squares + offset))


def _judged_alone(reference: Reference, run: UpdateRun) -> list[Kind]:
    """Each call judged in a run of its own, after a call that stands still and leaves in
    `a.grad` what the call before it left there."""
    kinds, before, held = [], run.start, [0.0, 0.0]
    for state in run.after_each_call:
        standing = replace(state, values=before, grad=held)
        kinds.append(_judge(reference, UpdateRun(before, 2, [standing, state], None))[-1].kind)
        before, held = state.values, state.grad
    return kinds


@settings(max_examples=200, deadline=None)
@given(start=starts, moves=runs)
def test_every_call_gets_the_kind_of_move_it_made_whatever_the_calls_around_it(
    reference, start, moves
):
    run = _run(reference, _start(reference, *start), moves)
    with ieee_arithmetic():
        kinds = [call.kind for call in _judge(reference, run)]
        assert kinds == _expected(reference, run, moves)
        assert kinds == _judged_alone(reference, run)
