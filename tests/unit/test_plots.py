"""A page's pictures, for any lesson the kit accepts: drawn without a warning (points all on
one level, a training run that reaches a loss of 0), and the loss chart's log axis labelled as
matplotlib labels it, `10⁻¹`, in plain text, so that no picture needs matplotlib's mathtext
parser; and for any number a student's loss returns, its chart beside the right value, or no
chart where no chart can hold it, never an error."""

from __future__ import annotations

import math
import sys
import warnings
from functools import cache

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from matplotlib.mathtext import MathTextParser

from autograder.feedback.plots import CHARTABLE, Plotter, power_of_ten_label
from autograder.judge.reference import reference_for
from autograder.judge.well_posed import refuse_ill_posed
from autograder.lesson import IllPosedLesson, Lesson
from tests.support.lesson import shipped_reference
from tests.unit.test_reference_matches_torch import CELLS

SUPERSCRIPT = dict(zip("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹", strict=True))


@given(st.integers(min_value=-323, max_value=308))
def test_a_power_of_ten_is_ten_with_its_exponent_raised(exponent):
    raised = "".join(SUPERSCRIPT[character] for character in str(exponent))
    assert power_of_ten_label(10.0**exponent) == "10" + raised


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_any_other_value_is_written_as_a_number(value):
    exponent = round(math.log10(value)) if math.isfinite(value) and value > 0 else None
    assume(exponent is None or not math.isclose(value, 10.0**exponent, rel_tol=1e-9))
    assert power_of_ten_label(value) == f"{value:g}"


def lesson_of(inputs, targets, guess, lr: float, epochs: int, dtype: str) -> Lesson:
    return Lesson(
        tuple((v, 1.0) for v in inputs), tuple(targets), guess, lr, epochs, dtype, CELLS, ""
    )


@st.composite
def accepted_lessons(draw: st.DrawFn) -> Lesson:
    """Lessons of the lesson's kind (points along a line, noisy or not) the kit accepts."""
    n = draw(st.integers(min_value=2, max_value=200))
    slope, intercept = draw(st.floats(-50, 50)), draw(st.floats(-50, 50))
    noise = draw(st.one_of(st.just(0.0), st.floats(0, 5)))
    inputs = [-1 + 2 * number / (n - 1) for number in range(n)]
    wiggle = draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
    targets = [slope * v + intercept + noise * w for v, w in zip(inputs, wiggle, strict=True)]
    guess = (draw(st.floats(-100, 100)), draw(st.floats(-100, 100)))
    lr = draw(st.floats(0.01, 0.9))
    epochs = draw(st.integers(min_value=10, max_value=300))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    lesson = lesson_of(inputs, targets, guess, lr, epochs, dtype)
    try:
        refuse_ill_posed(lesson)
    except IllPosedLesson:
        assume(False)
    return lesson


# Points on one level, reached exactly: the loss is 0 from the first call of update() on.
ON_ONE_LEVEL = lesson_of([-1.0, 0.0, 1.0], [0.0, 0.0, 0.0], (0.0, 1.0), 0.5, 10, "float64")


def spy_on_mathtext(patch: pytest.MonkeyPatch) -> list[str]:
    """Every text matplotlib's mathtext parser is given from now on."""
    parsed: list[str] = []
    parse = MathTextParser.parse

    def spied(self, text, *args, **kwargs):
        parsed.append(text)
        return parse(self, text, *args, **kwargs)

    patch.setattr(MathTextParser, "parse", spied)
    return parsed


@settings(max_examples=12, deadline=None)
@given(lesson=accepted_lessons())
@example(lesson=ON_ONE_LEVEL)
def test_the_pictures_draw_without_a_warning_and_label_decades_without_mathtext(lesson):
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # matplotlib's and numpy's warnings alike
        parsed = spy_on_mathtext(patch)
        plotter = Plotter(reference_for(lesson))
        plotter.loss([1.0, 0.5, 0.25])
        plotter.fit([1.0, 2.0])
        plotter.loss_value(3.0, 2.0)
    assert [str(warning.message) for warning in caught] == []
    assert parsed == []
    axes = plotter._loss.figure.axes[0]
    low, high = axes.get_ylim()
    labels = [
        (tick.get_loc(), tick.label1.get_text())
        for tick in axes.yaxis.get_major_ticks()
        if low <= tick.get_loc() <= high
    ]
    assert len(labels) >= 2, labels
    for location, text in labels:
        exponent = round(math.log10(location))
        assert math.isclose(location, 10.0**exponent), labels
        assert text == power_of_ten_label(10.0**exponent), labels


@cache
def shipped_plotter() -> Plotter:
    return Plotter(shipped_reference())


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
@example(sys.float_info.max)
@example(-sys.float_info.max)
@example(1.5e308)
@example(CHARTABLE)
@example(1e306)
@example(-1e306)
def test_any_loss_value_is_charted_or_left_out_without_an_error_or_a_warning(observed):
    """Any finite number, as a student's loss may return one: up to 1e306 (a loss nobody
    reads off a chart anyway) it is charted; beyond, the page says it in words alone."""
    reference = shipped_reference()
    expected = reference.loss_at(reference.first_guess)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # numpy's overflow warnings too
        picture = shipped_plotter().loss_value(observed, expected)
    assert [str(warning.message) for warning in caught] == []
    assert picture is None or picture.startswith(b"\x89PNG")
    if abs(observed) <= 1e306:
        assert picture is not None
