"""Inputs the students never see, drawn afresh for every grading run.

The lengths and values of the loss's unseen data and the starting points of `update()` come
from a secret seed chosen when a batch starts and stored with its records, so a regrade with
the same seed asks exactly the same questions (in float32, whatever default dtype the notebook's
kernel has set), while nothing in the kit's source (or in any
feedback) tells a student what they will be. Every draw keeps the questions meaningful: the
lengths include one point (where a sum equals a mean, but n - 1 is zero) and a few hundred,
and starting points lie well away from the least-squares fit, where the gradient is clear.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import torch

from autograder.judge.reference import Reference


@dataclass(frozen=True)
class HiddenInputs:
    seed: int
    loss_pairs: tuple[tuple[list[float], list[float]], ...]  # (y, y_guess) of other lengths
    starts: tuple[tuple[float, float], ...]  # starting points of `a` other than the first guess


def draw(seed: int, reference: Reference) -> HiddenInputs:
    """The hidden inputs of the grading run with `seed`."""
    rng = random.Random(seed)
    generator = torch.Generator().manual_seed(rng.getrandbits(63))
    pairs = []
    for length in (rng.randint(1, 2), rng.randint(5, 40), rng.randint(150, 400)):
        scale = math.exp(rng.uniform(math.log(0.5), math.log(20.0)))
        offset = rng.uniform(-5.0, 5.0)
        y = torch.randn(length, generator=generator, dtype=torch.float32) * scale + offset
        y_guess = y + torch.randn(length, generator=generator, dtype=torch.float32) * scale
        pairs.append((y.tolist(), y_guess.tolist()))
    fit = reference.least_squares.tolist()
    starts = []
    for _ in range(2):
        angle, radius = rng.uniform(0.0, 2 * math.pi), rng.uniform(1.5, 4.0)
        start = (fit[0] + radius * math.cos(angle), fit[1] + radius * math.sin(angle))
        starts.append(tuple(float(torch.tensor(value, dtype=torch.float32)) for value in start))
    return HiddenInputs(seed, tuple(pairs), tuple(starts))  # type: ignore[arg-type]
