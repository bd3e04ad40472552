"""Inputs the students never see, so that hard-coded answers fail."""

from __future__ import annotations

from functools import cache

import torch

UNSEEN_LENGTHS = (1, 7, 250)
UNSEEN_STARTS = ((0.5, -2.0), (4.0, 3.5))


@cache
def unseen_loss_inputs() -> list[tuple[list[float], list[float]]]:
    """Pairs (y, y_guess) of several lengths and scales, fixed from run to run."""
    generator = torch.Generator().manual_seed(20261123)
    pairs = []
    for length, scale in zip(UNSEEN_LENGTHS, (1.0, 3.0, 10.0), strict=True):
        y = torch.randn(length, generator=generator, dtype=torch.float32) * scale
        y_guess = y + torch.randn(length, generator=generator, dtype=torch.float32) * scale
        pairs.append((y.tolist(), y_guess.tolist()))
    return pairs
