"""What to tell a student whose code could not be graded normally, in plain words."""

from __future__ import annotations

from dataclasses import dataclass

from autograder.exercise import ASSIGNMENT
from autograder.judge.record import Status


@dataclass(frozen=True)
class Explanation:
    happened: str
    to_do: str


EXPLANATIONS = {
    Status.TIMEOUT: Explanation(
        "Your notebook's code did not finish in the time allowed on the clock, so the grader "
        "stopped it. Checks that had not run yet count as failed.",
        "Look for a call to input(), a sleep, or a loop that waits for something that never "
        "comes. Restart the kernel and run all cells: the notebook should finish in a few "
        "seconds.",
    ),
    Status.CPU_LIMIT: Explanation(
        "Your notebook's code kept the processor busy for longer than allowed, so the grader "
        "stopped it. Checks that had not run yet count as failed.",
        "Look for a loop that never ends (at the top level or inside update()), or a training "
        "loop that runs far longer than the lesson's. Restart the kernel and run all cells: "
        "the notebook should finish in a few seconds.",
    ),
    Status.CRASHED: Explanation(
        "Your notebook's code stopped the process it was running in before the checks could "
        "finish, so the checks that needed it count as failed.",
        "Restart the kernel and run all cells from the top; fix the first error you see. Do "
        "not call exit() or quit(), and avoid building very large tensors.",
    ),
    Status.INVALID: Explanation(
        "The file you handed in could not be read as a Jupyter notebook, so none of your code "
        "was run.",
        f"Hand in one notebook, {ASSIGNMENT}.ipynb, as Jupyter saved it (File → Save), without "
        "renaming another file to .ipynb or editing it by hand, and keep the answer cells the "
        "notebook gave you.",
    ),
    Status.MISSING_FUNCTION: Explanation(
        "A function the checks call was not defined after your notebook ran.",
        "Keep the names the notebook asks for — mean_squared_error(y, y_guess) and update() — "
        "and make sure the cells that define them run without errors.",
    ),
    Status.GRADER_ERROR: Explanation(
        "The grader itself failed while grading your notebook. This is not your fault; the "
        "points below may be incomplete.",
        "Nothing: your instructor has been told and will grade your notebook again.",
    ),
}
