"""Checks that 100 calls of `update()` fit the line."""

from __future__ import annotations

import math

from .. import lesson as setting
from ..reference import as_tensor
from . import check, fail
from .expect import update_ran, vector

TOLERANCE = 0.02


@check("convergence.reaches_least_squares_fit", "convergence", 2)
def test_100_updates_from_the_first_guess_reach_the_least_squares_fit(student, lesson):
    run = student.updates(list(setting.FIRST_GUESS), setting.EPOCHS)
    update_ran(run, calls_needed=setting.EPOCHS)
    final = run.after_each_call[-1].values
    target = lesson.least_squares
    if len(final) != 2 or not all(math.isfinite(v) for v in final):
        fail(f"after 100 updates a is {vector(final)}: training diverged")
    distance = float((as_tensor(final) - target).abs().max())
    if distance > TOLERANCE:
        fail(
            f"after 100 updates a is {vector(final)}; the least-squares fit is "
            f"{vector(target)} (allowed difference {TOLERANCE}, found {distance:.3g})"
        )
