"""The class of losses that read the training loop's state: right at their graded cell and in
their quick tests, wrong while the lesson's training cell runs, for a window of its epochs. The
state is the loop's counter (`epoch`), the losses it has recorded so far (`losses`), or who
called the loss (the student's update(), or the cell itself); the wrong value is a sum, half
the mean, or the mean absolute error, each of which changes both the value and its gradient.

In a real Jupyter kernel such a loss changes the notebook's own training exactly when the
window meets the epochs the training cell runs; the kit must take the loss's points then, and
only then."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from autograder.batch.catalogue import Answer
from tests.corpus.fidelity import RIGHT, SUMMED, loss_with

# How the loss reads each kind of state: None outside the training cell, where it is unset.
STATES = {
    "epoch": "globals().get('epoch')",
    "losses": "len(losses) if isinstance(globals().get('losses'), list) else None",
}
CALLERS = {
    "anyone": "True",
    "update": "sys._getframe(1).f_code.co_name == 'update'",
    "the_cell": "sys._getframe(1).f_code.co_name != 'update'",
}
WRONG = {
    "sum": SUMMED,
    "half": "((y_guess - y) ** 2).mean() / 2",
    "absolute": "(y_guess - y).abs().mean()",
}


@dataclass(frozen=True)
class Member:
    """A loss that is `wrong` while the loop's `state` is in [low, high) and `caller` calls
    it, and right otherwise."""

    state: str
    low: int
    high: int
    caller: str
    wrong: str

    def answer(self) -> Answer:
        body = (
            "    import sys\n"
            f"    state = {STATES[self.state]}\n"
            f"    if state is not None and {self.low} <= state < {self.high} "
            f"and {CALLERS[self.caller]}:\n"
            f"        return {WRONG[self.wrong]}\n" + RIGHT
        )
        name = f"{self.wrong} while {self.state} in [{self.low}, {self.high}) for {self.caller}"
        return Answer(name, loss=loss_with(body))

    def changes_training(self, epochs: int) -> bool:
        """Whether the window meets the epochs the training cell runs. At epoch e the loop's
        counter is e and it has recorded e losses, both when update() calls the loss and when
        the cell does; each caller calls it at every epoch."""
        return max(self.low, 0) < min(self.high, epochs)


def members(epochs: int) -> st.SearchStrategy[Member]:
    """Members of the class for a lesson of `epochs`, their windows from before its first
    epoch to after its last."""
    return st.builds(
        lambda state, low, width, caller, wrong: Member(state, low, low + width, caller, wrong),
        state=st.sampled_from(sorted(STATES)),
        low=st.integers(-10, epochs + 10),
        width=st.integers(1, 40),
        caller=st.sampled_from(sorted(CALLERS)),
        wrong=st.sampled_from(sorted(WRONG)),
    )
