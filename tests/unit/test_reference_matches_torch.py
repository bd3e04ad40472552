"""The judge's maths is numpy's float64 arithmetic so that the judge need not import torch.
Differential: on generated lessons and positions (any data the lesson could hold, in either
dtype, positions far away, overflowing or not finite), every number the reference gives
equals what the same formula gives in torch, the student's library (`x @ a` in the notebook's
dtype up to the rounding of its two products, which numpy and torch may fuse differently),
and every verdict on two positions, or on a student's numbers against the reference's, is the
same."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autograder.feedback.plots import loss_curve
from autograder.judge.expect import close, first_far
from autograder.judge.reference import Reference, ieee_arithmetic
from autograder.lesson import Lesson, LessonCells

CELLS = LessonCells(data="cell 1", learning_rate="cell 2", training="cell 3")
finite = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False, allow_infinity=False)
anything = st.floats(allow_nan=True, allow_infinity=True, width=64)
# far away or not finite, each beyond doubt: a loss there overflows, or is not a number
off_the_chart = st.sampled_from([math.nan, math.inf, -math.inf, 1e200, -1e200])


@st.composite
def lessons(draw: st.DrawFn) -> Lesson:
    dtype = draw(st.sampled_from(["float32", "float64"]))
    width = 32 if dtype == "float32" else 64
    values = st.floats(min_value=-1e3, max_value=1e3, width=width)
    n = draw(st.integers(min_value=2, max_value=150))
    inputs = draw(st.lists(values, min_size=n, max_size=n).filter(lambda v: max(v) - min(v) > 1))
    targets = draw(st.lists(values, min_size=n, max_size=n))
    guess = draw(st.tuples(values, values))
    lr = draw(st.floats(min_value=1e-6, max_value=1.0))
    epochs = draw(st.integers(min_value=1, max_value=30))
    x = tuple((v, 1.0) for v in inputs)
    return Lesson(x, tuple(targets), guess, lr, epochs, dtype, CELLS, "release")


def torch_of(values: object, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(np.asarray(values).tolist(), dtype=dtype)


def assert_same(
    ours: np.ndarray | float, theirs: torch.Tensor | float, terms: np.ndarray | float = 0.0
) -> None:
    """Equal to float64 rounding; `terms`: the summed size of what a sum cancelled (a
    gradient near the fit is a small difference of large products), which each side may
    round in its own order."""
    expected = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    atol = 1e-12 + 16 * np.finfo(np.float64).eps * np.asarray(terms)
    assert np.allclose(ours, expected, rtol=1e-9, atol=atol, equal_nan=True), (ours, expected)


def least_squares_terms(x: np.ndarray, y: np.ndarray, fit: np.ndarray) -> float:
    """The rounding scale of a least-squares fit: a backward-stable solver's error grows with
    the condition number of `x` (data far from zero next to its spread), and with its square
    times the residual when the data is not on a line."""
    condition = np.linalg.cond(x)
    residual = np.linalg.norm(x @ fit - y) / np.linalg.norm(x)
    return float(condition * (np.linalg.norm(fit) + condition * residual))


def gradient_terms(rows: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The rounding scale of the gradients at `rows`: their sums with every term's size."""
    return 2 * (np.abs(rows) @ np.abs(x.T) + np.abs(y)) @ np.abs(x) / len(y)


@settings(max_examples=150, deadline=None)
@given(lesson=lessons(), position=st.tuples(finite, finite))
@example(  # data far from zero next to its spread: the fit's intercept rounds to 3e-12, not 0
    lesson=Lesson(
        ((853.0, 1.0), (997.0, 1.0)),
        (853.0, 997.0),
        (0.0, 0.0),
        1.0,
        1,
        "float32",
        CELLS,
        "release",
    ),
    position=(0.0, 0.0),
)
def test_every_number_is_torchs(lesson: Lesson, position: tuple[float, float]) -> None:
    with ieee_arithmetic():  # a lesson training diverges on overflows; the kit refuses it later
        numbers_agree(Reference(lesson), lesson, position)


@settings(max_examples=150, deadline=None)
@given(
    lesson=lessons(),
    positions=st.lists(st.tuples(*[st.one_of(finite, off_the_chart)] * 2), max_size=8),
)
def test_a_loss_curve_is_torchs_loss_at_the_first_guess_then_at_each_position(
    lesson: Lesson, positions: list[tuple[float, float]]
) -> None:
    """A page's loss curve, row by row: a loss that is not finite is drawn as no number."""
    curve = loss_curve(Reference(lesson), positions)
    x, y = torch_of(lesson.x), torch_of(lesson.y)
    losses = ((torch_of([lesson.first_guess, *positions]) @ x.T - y) ** 2).mean(dim=1)
    assert len(curve) == len(positions) + 1
    assert_same(np.array(curve), torch.where(losses.isfinite(), losses, math.nan))


def numbers_agree(reference: Reference, lesson: Lesson, position: tuple[float, float]) -> None:
    x, y = torch_of(lesson.x), torch_of(lesson.y)
    a = np.array(position)
    a_t = torch_of(position)
    fit = torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1)
    x_np, y_np = np.array(lesson.x), np.array(lesson.y)
    fit_terms = least_squares_terms(x_np, y_np, fit.numpy())
    assert_same(reference.least_squares, fit, fit_terms)
    assert_same(reference.loss_at(a), float(((x @ a_t - y) ** 2).mean()))
    terms = gradient_terms(a[None, :], x_np, y_np)[0]
    assert_same(reference.gradient_at(a), 2 * x.T @ (x @ a_t - y) / len(y), terms)
    step = a_t - lesson.lr * (2 * x.T @ (x @ a_t - y) / len(y))
    assert_same(reference.step_from(a), step, lesson.lr * terms)
    rows = torch_of(reference.training_path)
    assert_same(reference.training_losses, ((rows @ x.T - y) ** 2).mean(dim=1, keepdim=True))
    path_terms = gradient_terms(np.array(reference.training_path), x_np, y_np)
    assert_same(reference.training_gradients, 2 * (rows @ x.T - y) @ x / len(y), path_terms)
    notebook = torch.float32 if lesson.dtype == "float32" else torch.float64
    assert reference.given(a) == a_t.to(notebook).tolist()
    held = tuple(reference.given(a))
    ours = np.array(reference.prediction_given(held))
    theirs = (torch_of(lesson.x, notebook) @ torch_of(held, notebook)).numpy()
    terms = np.abs(np.array(lesson.x) * np.array(held)).sum(axis=1)  # the sum's rounding scale
    assert (np.abs(ours - theirs) <= 4 * np.finfo(lesson.dtype).eps * terms).all()


@settings(max_examples=150, deadline=None)
@given(
    lesson=lessons(),
    a=st.lists(st.tuples(anything, anything), min_size=1, max_size=6),
    b=st.lists(st.tuples(anything, anything), min_size=1, max_size=6),
)
def test_every_verdict_on_positions_is_torchs(
    lesson: Lesson, a: list[tuple[float, float]], b: list[tuple[float, float]]
) -> None:
    reference = Reference(lesson)
    rows = min(len(a), len(b))
    a_np, b_np = np.array(a[:rows]), np.array(b[:rows])
    with ieee_arithmetic():
        ours = reference.same_positions(a_np, b_np)
        distance = reference.distance_to_fit(a_np[0])
    fit = torch_of(reference.least_squares)
    theirs = (torch_of(a_np) - torch_of(b_np)).abs().amax(dim=1) <= 1e-4 * reference.scale
    assert ours.tolist() == theirs.tolist()
    their_distance = float((torch_of(a_np[0]) - fit).abs().max())
    assert distance == their_distance or (math.isnan(distance) and math.isnan(their_distance))


def torch_close(observed: list[float] | None, expected: np.ndarray, tolerance: float) -> bool:
    """`expect.close` as torch says it."""
    if observed is None or len(observed) != expected.size:
        return False
    values = torch.tensor(observed, dtype=torch.float64)
    return bool(
        torch.allclose(values, torch_of(expected).reshape(-1), rtol=tolerance, atol=tolerance / 10)
    )


def torch_first_far(
    observed: list[list[float] | None], expected: np.ndarray, tolerance: float
) -> int | None:
    """`expect.first_far` as torch says it."""
    width = expected.shape[1]
    missing = [index for index, row in enumerate(observed) if row is None or len(row) != width]
    rows = [row if row is not None and len(row) == width else [0.0] * width for row in observed]
    values = torch.tensor(rows, dtype=torch.float64).reshape(len(rows), width)
    near = torch.isclose(values, torch_of(expected), rtol=tolerance, atol=tolerance / 10)
    far = [int(index) for index in (~near.all(dim=1)).nonzero().flatten()]
    return min([*missing, *far], default=None)


def near_or_anything(expected: float) -> st.SearchStrategy[float]:
    """What a student's call may return against `expected`: the same value, a value off by
    about the tolerance either way, or anything at all (non-finite, huge, tiny)."""
    scale = abs(expected) if math.isfinite(expected) else 1.0
    offsets = st.sampled_from([0.0, 5e-5, -5e-5, 1e-4, -1e-4, 2e-4, 1e-5, 1e-6])
    return st.one_of(
        st.just(expected),
        offsets.map(lambda off: expected + off * scale + off / 10),
        anything,
    )


@st.composite
def calls(draw: st.DrawFn) -> tuple[np.ndarray, list[list[float] | None]]:
    """Expected rows (one per call) and what the calls returned: near, far, missing, short."""
    width = draw(st.integers(min_value=1, max_value=3))
    count = draw(st.integers(min_value=1, max_value=6))
    small = st.sampled_from([0.0, -0.0, 1e-6, -3e-5, 1.0, -1.0])  # where atol decides
    values = st.one_of(small, finite, anything, st.floats(min_value=-1e30, max_value=1e30))
    expected = np.array(
        [[draw(values) for _ in range(width)] for _ in range(count)], dtype=np.float64
    )
    observed: list[list[float] | None] = []
    for row in expected:
        kind = draw(st.sampled_from(["near", "near", "missing", "short", "long"]))
        if kind == "missing":
            observed.append(None)
        elif kind == "near":
            observed.append([draw(near_or_anything(float(value))) for value in row])
        else:
            size = width - 1 if kind == "short" else width + 1
            observed.append([draw(anything) for _ in range(size)])
    return expected, observed


@settings(max_examples=300, deadline=None)
@given(case=calls(), tolerance=st.sampled_from([1e-4, 1e-3, 1e-6]))
def test_close_and_first_far_say_what_torch_says(case, tolerance):
    """Every verdict on a student's numbers (close, and the first call that is far) is the
    one torch's allclose and isclose give, non-finite, huge and missing values included."""
    expected, observed = case
    with ieee_arithmetic():
        for row, wanted in zip(observed, expected, strict=True):
            assert close(row, wanted, tolerance) == torch_close(row, wanted, tolerance)
        assert first_far(observed, expected, tolerance) == torch_first_far(
            observed, expected, tolerance
        )
