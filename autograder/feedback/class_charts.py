"""The class report's two charts: how scores spread, and how often each check passed.

Matplotlib is imported by each chart as it is drawn: a report whose charts are already drawn
from the same numbers never loads it (a second of a rerun that changed nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAR_COLOUR = "#1c7ed6"
MAX_LABEL = 40  # characters of a check's id beside its bar; a longer one leaves no room for it


def score_histogram(scores: Sequence[float], max_score: float) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.0, 3.4), layout="constrained")
    axes = figure.add_subplot()
    edges = [i - 0.5 for i in range(int(max_score) + 2)]
    axes.hist(scores, bins=edges, color=BAR_COLOUR, edgecolor="white")
    axes.set_xlabel(f"score (out of {max_score:g})")
    axes.set_ylabel("students")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def pass_rates(rates: dict[str, float]) -> Figure:
    """One horizontal bar per check, in the checks' order from top to bottom."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(6.0, 0.9 + 0.32 * len(rates)), layout="constrained")
    axes = figure.add_subplot()
    names = list(rates)[::-1]
    places = range(len(names))
    axes.barh(places, [rates[name] for name in names], color=BAR_COLOUR)
    axes.set_yticks(places, labels=[_label(name) for name in names])
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("share of submissions that passed")
    axes.tick_params(axis="y", labelsize="small")
    return figure


def _label(name: str) -> str:
    return name if len(name) <= MAX_LABEL else name[: MAX_LABEL - 1] + "…"
