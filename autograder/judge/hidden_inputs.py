"""Inputs the students never see, drawn afresh for every submission.

The lengths and values of the loss's unseen data and the starting points of `update()` come
from a secret seed (see `seeds`): the run's, mixed with the notebook's content, so a changed
notebook is asked new questions while the same notebook regrades identically, and nothing in
the kit's source (or in any feedback) tells a student what they will be. They are scaled to the
lesson: values around the lesson's targets, starting points around its least-squares fit at
distances like the first guess's, in the notebook's dtype. Every draw keeps the questions
meaningful: the lengths always include a single point (where a sum equals a mean, but n - 1 is
zero), two points, and lengths the lesson never uses; starting points lie well away from the
fit, where the gradient is clear.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from autograder.judge.reference import Reference

STARTS = 2


@dataclass(frozen=True)
class HiddenInputs:
    seed: int
    loss_pairs: tuple[tuple[list[float], list[float]], ...]  # (y, y_guess) of other lengths
    starts: tuple[tuple[float, ...], ...]  # starting points of `a` other than the first guess


def _lengths(rng: random.Random, lesson_n: int) -> list[int]:
    """One point, two points, and a short and a long length, never the lesson's own."""
    lengths = [1, 2]
    for low, high in ((5, 40), (150, 400)):
        length = rng.randint(low, high)
        lengths.append(length + 1 if length == lesson_n else length)
    return lengths


def draw(seed: int, reference: Reference) -> HiddenInputs:
    """The hidden inputs of the submission whose seed is `seed`."""
    rng = random.Random(seed)
    generator = np.random.default_rng(rng.getrandbits(63))
    spread = max(float(reference.y.std(ddof=1)), 1e-3) if len(reference.y) > 1 else 1.0
    centre = float(reference.y.mean())
    dtype = reference.dtype
    pairs = []
    for length in _lengths(rng, reference.lesson.n):
        scale = spread * math.exp(rng.uniform(math.log(0.25), math.log(4.0)))
        offset = centre + spread * rng.uniform(-2.0, 2.0)
        y = generator.standard_normal(length) * scale + offset
        y_guess = y + generator.standard_normal(length) * scale
        pairs.append((reference.given(y), reference.given(y_guess)))
    fit = reference.least_squares
    distance = float(np.linalg.norm(reference.first_guess - fit))
    starts = []
    for _ in range(STARTS):
        angle, radius = rng.uniform(0.0, 2 * math.pi), distance * rng.uniform(0.4, 1.0)
        start = fit + radius * np.array([math.cos(angle), math.sin(angle)])
        starts.append(tuple(start.astype(dtype).tolist()))
    return HiddenInputs(seed, tuple(pairs), tuple(starts))
