"""How numbers and positions of `a` are written in messages, pages and refusals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def number(value: float) -> str:
    return f"{value:.6g}"


def vector(values: Sequence[float] | Any) -> str:
    """`(1.5, -0.25)`: a position of `a` (a sequence of numbers or a tensor)."""
    items = values.tolist() if hasattr(values, "tolist") else values
    return "(" + ", ".join(f"{v:.4g}" for v in items) + ")"
