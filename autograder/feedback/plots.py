"""The pictures on a student's page, drawn with matplotlib's object API (no pyplot state).

A class has hundreds of pages, and in the two pictures every page has only the student's line
differs. So each is drawn once with everything the lesson fixes (data, reference curve, axes,
limits) and kept as a background; a page restores it and draws just the student's line on top,
which is several times cheaper than drawing the figure again.
"""

from __future__ import annotations

import functools
import io
import math
import sys
from collections.abc import Sequence

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from PIL import Image

from autograder.judge.reference import Floats, Reference, ieee_arithmetic

DPI = 120
SIZE = (4.5, 3.0)  # inches: 540 × 360 pixels with large type, readable at a phone's width
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.16, "top": 0.86}  # legend above the axes
STUDENT_COLOUR = "#d9480f"
REFERENCE_COLOUR = "#1c7ed6"
LOSS_CEILING_FACTOR = 100.0  # the loss chart's top, as a multiple of the first guess's loss
CHARTABLE = sys.float_info.max / 100  # the tallest bar whose chart's margins and ticks are finite


def _figure(height: float = SIZE[1]) -> tuple[Figure, FigureCanvasAgg]:
    figure = Figure(figsize=(SIZE[0], height), dpi=DPI)
    figure.subplots_adjust(**MARGINS)
    return figure, FigureCanvasAgg(figure)


def encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as it is now, as PNG (without drawing it again)."""
    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=3)
    return buffer.getvalue()


def _legend_above(axes: Axes) -> None:
    """Outside the axes, so a student's line never hides it and it never needs redrawing."""
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(-0.02, 1.0),
        ncols=3,
        frameon=False,
        fontsize="small",
        handlelength=1.5,
        columnspacing=1.0,
    )


class _Overlay:
    """A drawn background with some artists drawn on top of it afresh for every picture."""

    def __init__(self, figure: Figure, canvas: FigureCanvasAgg, on_top: list[Artist]) -> None:
        for artist in on_top:
            artist.set_animated(True)  # left out of the background
        self.figure, self.canvas, self.on_top = figure, canvas, on_top
        canvas.draw()
        self.background = canvas.copy_from_bbox(figure.bbox)

    def png(self) -> bytes:
        self.canvas.restore_region(self.background)
        for artist in self.on_top:
            self.figure.draw_artist(artist)
        return encode(self.canvas)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten_label(value: float, _position: int | None = None) -> str:
    """A log axis's tick label as matplotlib writes it, `10⁻¹`, but in plain text: its
    mathtext parser would cost every process that draws the loss chart about 40 ms the first
    time. A value that is not a power of ten is written as a number."""
    exponent = round(math.log10(value)) if math.isfinite(value) and value > 0 else None
    if exponent is None or not math.isclose(value, 10.0**exponent, rel_tol=1e-9):
        return f"{value:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPT)


def finite_or_nan(values: Sequence[float]) -> list[float]:
    return [v if math.isfinite(v) else math.nan for v in values]


def loss_curve(reference: Reference, positions: Sequence[Sequence[float] | Floats]) -> list[float]:
    """The lesson's loss at the first guess and then at each position, by the judge's maths:
    all positions read into one float64 array and worked out in one array operation (0.03 ms
    for a curve of 100 positions, against 0.43 ms a position at a time; a page draws up to two
    curves)."""
    rows = np.array([reference.first_guess, *positions], dtype=np.float64)
    with ieee_arithmetic():  # a student's training may overflow
        losses = reference.losses_at(rows)
    return finite_or_nan(losses.tolist())


def _as_drawn(values: Sequence[float]) -> tuple[float, ...]:
    """Values rounded to 4 significant digits, finer than a chart shows.

    Pictures are cached by these keys: many students' code produces the same picture (every
    correct answer does), and each is drawn once.
    """
    return tuple(float(f"{value:.4g}") for value in values)


class Plotter:
    """Draws one student's pictures at a time, reusing the same three figures."""

    def __init__(self, reference: Reference) -> None:
        self.reference = reference
        inputs = reference.x[:, 0]
        self.line_x = [float(inputs.min()), float(inputs.max())]
        self._fit = self._fit_overlay()
        self._loss = self._loss_overlay()
        self._value_figure, self._value_canvas = _figure(SIZE[1] * 0.8)
        self._value_axes = self._value_figure.add_subplot()

    def _line(self, a: Sequence[float]) -> list[float]:
        slope, intercept = a
        return [slope * x + intercept for x in self.line_x]

    def _fit_overlay(self) -> _Overlay:
        figure, canvas = _figure()
        axes = figure.add_subplot()
        targets = self.reference.y.tolist()
        axes.scatter(self.reference.x[:, 0].tolist(), targets, s=12, color="#868e96", label="data")
        fit = self.reference.least_squares.tolist()
        axes.plot(self.line_x, self._line(fit), color=REFERENCE_COLOUR, label="least-squares line")
        (self.student_line,) = axes.plot(
            [], [], color=STUDENT_COLOUR, linewidth=2.5, linestyle="--", label="your line"
        )
        bottom, top = min(targets), max(targets)
        margin = 0.15 * (top - bottom) or 0.15 * max(abs(top), 1.0)  # points on one level too
        axes.set_ylim(bottom - margin, top + margin)
        low, high = self.line_x
        axes.set_xlim(low - 0.025 * (high - low), high + 0.025 * (high - low))
        axes.set_xlabel("x")
        axes.set_ylabel("y")
        _legend_above(axes)
        return _Overlay(figure, canvas, [self.student_line])

    def _loss_overlay(self) -> _Overlay:
        figure, canvas = _figure()
        axes = figure.add_subplot()
        path = self.reference.descend(self.reference.first_guess, self.reference.epochs)
        reference = loss_curve(self.reference, path)
        axes.plot(reference, color=REFERENCE_COLOUR, label="correct updates")
        (self.student_curve,) = axes.plot(
            [], [], color=STUDENT_COLOUR, linewidth=2, linestyle="--", label="your updates"
        )
        self.loss_ceiling = reference[0] * LOSS_CEILING_FACTOR
        axes.set_yscale("log")
        axes.yaxis.set_major_formatter(FuncFormatter(power_of_ten_label))
        lowest = min(loss for loss in reference if loss > 0)  # a log axis: a fit may reach 0
        axes.set_ylim(lowest / 2, self.loss_ceiling)
        axes.set_xlim(0, self.reference.epochs)
        axes.set_xlabel("epoch (calls of update())")
        axes.set_ylabel("loss on the lesson data")
        _legend_above(axes)
        return _Overlay(figure, canvas, [self.student_curve])

    def fit(self, final: Sequence[float]) -> bytes:
        """The data, the least-squares line, and the line the student's `a` ended on."""
        return self._fit_png(_as_drawn(final))

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one plotter lives as long as its process
    def _fit_png(self, final: tuple[float, ...]) -> bytes:
        self.student_line.set_data(self.line_x, finite_or_nan(self._line(final)))
        return self._fit.png()

    def loss(self, curve: Sequence[float]) -> bytes:
        """A student's `loss_curve` against the loss of correct updates; values above
        `loss_ceiling` leave the top of the chart."""
        return self._loss_png(_as_drawn(curve))

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one plotter lives as long as its process
    def _loss_png(self, curve: tuple[float, ...]) -> bytes:
        self.student_curve.set_data(range(len(curve)), curve)
        return self._loss.png()

    def loss_value(self, observed: float, expected: float) -> bytes | None:
        """The student's loss of the first guess on the lesson data beside the right value;
        None for a value too large to chart (beyond `CHARTABLE`), which a student's loss may
        return as well as any other number."""
        drawn = _as_drawn((observed, expected))
        if not all(abs(value) <= CHARTABLE for value in drawn):
            return None
        return self._loss_value_png(*drawn)

    @functools.lru_cache(maxsize=512)  # noqa: B019 - one plotter lives as long as its process
    def _loss_value_png(self, observed: float, expected: float) -> bytes:
        """Drawn whole each time: it is needed only for wrong losses, and its scale varies."""
        axes = self._value_axes
        axes.clear()
        bars = axes.bar(
            ["your mean_squared_error", "the right value"],
            [observed, expected],
            color=[STUDENT_COLOUR, REFERENCE_COLOUR],
        )
        axes.bar_label(bars, fmt="%.4g")
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.set_ylabel("loss of the first guess")
        axes.margins(y=0.15)
        self._value_canvas.draw()
        return encode(self._value_canvas)
