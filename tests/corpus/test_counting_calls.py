"""Functions that keep count of their calls and go wrong from some call on are wrong whichever
call that is, generated (Hypothesis) over every call that counts: an update() that takes
another step from any judged call on, or at one call only, up to the last calls of a training
run, where the lesson's steps are shorter than any tolerance on positions could see; a loss
that goes wrong from any of the calls the lesson's training makes. Graded in-process, as the
corpus is."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autograder.batch.catalogue import Answer
from autograder.inside.observations import UpdateQuestion
from autograder.judge.runner import SubjectReport
from tests.corpus.fidelity import loss_with, update_with
from tests.support.inprocess import reports_for
from tests.support.lesson import shipped_reference

REFERENCE = shipped_reference()
OWN_CALLS = 1 + REFERENCE.epochs  # the first calls: the release's quick test, then its training
JUDGED = 3 * REFERENCE.epochs  # a training run from the first guess and from two hidden starts
FLOAT32_ROUNDING = 2.0**-23  # of a number's size
STEPS = {
    "no step": "pass",
    "two steps": "a.sub_(2 * lr * a.grad)",
    "half a step": "a.sub_(lr / 2 * a.grad)",
}


def right_step_at(report: SubjectReport, call: int) -> tuple[float, float]:
    """The length of the right step at the student's `call` (counted over every call their
    update() got), and the size of `a` where it begins, from what the judge saw."""
    runs = [
        (question, answer)
        for (_, question), answer in report.answers.items()
        if isinstance(question, UpdateQuestion)
    ]
    run, index = divmod(call - OWN_CALLS - 1, REFERENCE.epochs)
    question, answer = runs[run]
    positions = [question.start, *(state.values for state in answer.after_each_call)]
    before = np.array(positions[index], dtype=np.float64)
    step = REFERENCE.lr * REFERENCE.gradient_at(before)
    return float(np.abs(step).max()), float(np.abs(before).max())


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    call=st.integers(OWN_CALLS + 1, OWN_CALLS + JUDGED),
    step=st.sampled_from(sorted(STEPS)),
    only_then=st.booleans(),
    near_the_end=st.booleans(),
)
def test_an_update_whose_step_changes_at_any_judged_call_loses_update(
    call: int, step: str, only_then: bool, near_the_end: bool
) -> None:
    if near_the_end:  # one of the last five calls of a run, where its steps are shortest
        run = (call - OWN_CALLS - 1) % 3 + 1
        call = OWN_CALLS + run * REFERENCE.epochs - call % 5
    changed = f"calls == {call}" if only_then else f"calls >= {call}"
    update = update_with(
        "global calls",
        "calls += 1",
        f"if {changed}:",
        f"    {STEPS[step]}",
        "else:",
        "    a.sub_(lr * a.grad)",
        "a.grad.zero_()",
        before="calls = 0\n",
    )
    [report] = reports_for([Answer("changes its step", update=update)]).values()
    length, size = right_step_at(report, call)
    # a step float32 can tell from none, or from twice itself: many times its rounding of `a`
    assume(length > 64 * FLOAT32_ROUNDING * max(size, REFERENCE.scale))
    lost = {result.category for result in report.results if not result.passed}
    assert "update" in lost, f"{step} {'at' if only_then else 'from'} call {call}, {length:.2g}"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call=st.integers(1, 2 * REFERENCE.epochs))
def test_a_loss_that_goes_wrong_from_any_call_training_makes_loses_loss(call: int) -> None:
    """The lesson's training calls the loss twice an epoch (in update(), and for the loss per
    epoch): a loss that sums instead of averaging from any of those calls on is a wrong loss,
    however many calls it was right for."""
    loss = loss_with(
        "    global calls\n"
        "    calls += 1\n"
        f"    if calls >= {call}:\n"
        "        return ((y_guess - y) ** 2).sum()\n"
        "    return ((y_guess - y) ** 2).mean()\n",
        before="calls = 0\n",
    )
    [report] = reports_for([Answer("changes its loss", loss=loss)]).values()
    lost = {result.category for result in report.results if not result.passed}
    assert "loss" in lost, f"summed from call {call}"
