"""The class report's two charts, how scores spread and how often each check passed, as SVG
inside the page.

They are drawn from the numbers by this module, not by a plotting library: the report opens
offline in any browser, a run that writes it loads nothing to draw it (importing matplotlib
cost every `grade` run a second of CPU), and the same numbers always give the same bytes.
Each bar carries its number (`data-value`: a count, or a pass rate to three digits), so what a
chart says can be read back.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograder.feedback.markup import text

BAR_COLOUR = "#1c7ed6"
AXIS_COLOUR = "#495057"
GRID_COLOUR = "#dee2e6"
MAX_LABEL = 40  # characters of a check's id beside its bar; a longer one leaves no room for it
WIDTH = 600
FONT = 12  # px; the page's own font family
ROW = 22  # height of one check's bar and gap, px


def score_bins(scores: Sequence[float], max_score: float) -> list[int]:
    """How many scores round to each whole score from 0 to `max_score`."""
    counts = [0] * (int(max_score) + 1)
    for score in scores:
        counts[min(max(math.floor(score + 0.5), 0), len(counts) - 1)] += 1
    return counts


def score_histogram(scores: Sequence[float], max_score: float) -> str:
    """One bar per whole score, as tall as the number of students with it."""
    counts = score_bins(scores, max_score)
    left, right, top, bottom, height = 52, 12, 12, 44, 280
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    highest = max([*counts, 1])
    step = _tick_step(highest)
    ceiling = step * math.ceil(highest / step)
    slot = plot_width / len(counts)
    parts = []
    for count in range(0, ceiling + 1, step):
        y = top + plot_height * (1 - count / ceiling)
        parts.append(_line(left, y, WIDTH - right, y, GRID_COLOUR))
        parts.append(_text(left - 6, y + FONT / 3, str(count), "end"))
    label_every = max(1, math.ceil(len(counts) / 20))
    for score, count in enumerate(counts):
        x = left + slot * score
        bar = plot_height * count / ceiling
        parts.append(_bar(x + 1, top + plot_height - bar, slot - 2, bar, f"{count:d}"))
        if score % label_every == 0:
            parts.append(_text(x + slot / 2, top + plot_height + FONT + 4, str(score), "middle"))
    parts.append(_line(left, top + plot_height, WIDTH - right, top + plot_height, AXIS_COLOUR))
    parts.append(
        _text(left + plot_width / 2, height - 6, f"score (out of {max_score:g})", "middle")
    )
    parts.append(_text(14, top + plot_height / 2, "students", "middle", rotate=True))
    return _svg(height, "histogram of scores", parts)


def pass_rates(rates: dict[str, float]) -> str:
    """One horizontal bar per check, in the checks' order from top to bottom, as long as the
    share of submissions that passed it."""
    left, right, top, bottom = 290, 48, 8, 44
    plot_width = WIDTH - left - right
    height = top + ROW * len(rates) + bottom
    plot_bottom = top + ROW * len(rates)
    parts = []
    for percent in range(0, 101, 25):
        x = left + plot_width * percent / 100
        parts.append(_line(x, top, x, plot_bottom, GRID_COLOUR))
        parts.append(_text(x, plot_bottom + FONT + 4, f"{percent}%", "middle"))
    for row, (name, rate) in enumerate(rates.items()):
        y = top + ROW * row
        parts.append(_text(left - 6, y + ROW / 2 + FONT / 3, _label(name), "end"))
        # three digits: enough to read the bar back, too few to look like any hidden number
        parts.append(_bar(left, y + 3, plot_width * rate, ROW - 6, f"{rate:.3g}"))
        parts.append(_text(left + plot_width * rate + 4, y + ROW / 2 + FONT / 3, f"{rate:.0%}"))
    parts.append(_line(left, top, left, plot_bottom, AXIS_COLOUR))
    parts.append(
        _text(left + plot_width / 2, height - 6, "share of submissions that passed", "middle")
    )
    return _svg(height, "share of submissions passing each check", parts)


def _tick_step(highest: int) -> int:
    """A whole step of 1, 2 or 5 times a power of ten giving at most six ticks up to `highest`."""
    for power in range(len(str(highest)) + 1):
        for factor in (1, 2, 5):
            step = factor * 10**power
            if highest / step <= 5:
                return step
    return 10 ** len(str(highest))


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"


def _svg(height: float, description: str, parts: list[str]) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} '
        f'{height:g}" role="img" aria-label="{text(description)}" font-size="{FONT}">'
        f"<title>{text(description)}</title>{''.join(parts)}</svg>"
    )


def _bar(x: float, y: float, width: float, height: float, value: str) -> str:
    return (
        f'<rect class="bar" data-value="{value}" x="{x:.1f}" y="{y:.1f}" '
        f'width="{max(width, 0):.1f}" height="{max(height, 0):.1f}" fill="{BAR_COLOUR}"/>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"/>'


def _text(x: float, y: float, content: str, anchor: str = "start", rotate: bool = False) -> str:
    turn = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{AXIS_COLOUR}"{turn}>'
        f"{text(content)}</text>"
    )
