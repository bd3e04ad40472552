"""Losses that read the training loop's state (`tests.corpus.loop_state`), generated over the
whole class: each loses the loss's points exactly when its window meets the epochs the lesson's
training cell runs, whoever of update() and the cell it is wrong for. Graded in-process, as the
corpus is; `tests/e2e/test_loop_state_in_jupyter.py` shows a real kernel agrees."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus.loop_state import CALLERS, STATES, WRONG, changes_training, loss_reading
from tests.support.inprocess import reports_for
from tests.support.lesson import shipped_reference

EPOCHS = shipped_reference().epochs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    state=st.sampled_from(sorted(STATES)),
    low=st.integers(-10, EPOCHS + 10),
    width=st.integers(1, 40),
    caller=st.sampled_from(sorted(CALLERS)),
    wrong=st.sampled_from(sorted(WRONG)),
)
def test_a_loss_wrong_for_a_window_of_training_loses_exactly_when_training_runs_it(
    state: str, low: int, width: int, caller: str, wrong: str
) -> None:
    answer = loss_reading(state, low, low + width, caller, wrong)
    [report] = reports_for([answer]).values()
    lost = {result.category for result in report.results if not result.passed}
    expected = {"loss"} if changes_training(low, low + width, EPOCHS) else set()
    assert lost == expected, answer.name
