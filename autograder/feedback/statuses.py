"""What to tell a student whose code could not be graded normally, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from ..verdicts import CRASHED, INVALID, MISSING_FUNCTION, TIMEOUT


@dataclass(frozen=True)
class Explanation:
    happened: str
    to_do: str


EXPLANATIONS = {
    TIMEOUT: Explanation(
        "Your notebook's code did not finish in the time allowed, so the grader stopped it. "
        "Checks that had not run yet count as failed.",
        "Look for a loop that never ends, a training loop at the top of the notebook that runs "
        "for far more than 100 epochs, or a call to input(). Restart the kernel and run all "
        "cells: the notebook should finish in a few seconds.",
    ),
    CRASHED: Explanation(
        "Your notebook's code stopped the process it was running in before the checks could "
        "finish, so the checks that needed it count as failed.",
        "Restart the kernel and run all cells from the top; fix the first error you see. Do "
        "not call exit() or quit(), and avoid building very large tensors.",
    ),
    INVALID: Explanation(
        "The file you handed in could not be read as a Jupyter notebook, so none of your code "
        "was run.",
        "Hand in the .ipynb file that Jupyter saved (File → Save), without renaming another "
        "file to .ipynb or editing it by hand, and keep the answer cells the notebook gave you.",
    ),
    MISSING_FUNCTION: Explanation(
        "A function the checks call was not defined after your notebook ran.",
        "Keep the names the notebook asks for — mean_squared_error(y, y_guess) and update() — "
        "and make sure the cells that define them run without errors.",
    ),
}
