"""The warning filters a notebook sets hold for its functions as they held in Jupyter, over
the whole class: every action a filter can take, every place a notebook can set it and either
function warning (36 notebooks): a function that warns raises where the filters in force when
Jupyter ran it make that warning an error, and is judged on its numbers everywhere else.
Where it raises: the loss at its graded cell, `update()` in the training cell. Graded
in-process, as the corpus is."""

from __future__ import annotations

import itertools

import pytest

from autograder.batch.catalogue import ALL_OF_UPDATE, Answer
from tests.corpus.fidelity import RIGHT, WARNING_UPDATE, loss_with
from tests.support.inprocess import reports_for

ACTIONS = ["error", "ignore", "default", "always", "once", "module"]
WARNING_LOSS = loss_with("    return torch.nn.functional.mse_loss(y_guess, y, reduce=True)\n")
# Where a notebook sets its filter: above its own loss (before the loss's graded cell and the
# training cell), above its own update() (after the first, before the second), or in a cell
# it added after the training cell.
PLACES = ["above_the_loss", "above_update", "after_training"]


def answer_setting(action: str, place: str, warns: str) -> Answer:
    setting = f"import warnings\nwarnings.simplefilter({action!r})\n"
    loss = WARNING_LOSS if warns == "loss" else loss_with(RIGHT)
    update = WARNING_UPDATE if warns == "update" else None
    if place == "above_the_loss":
        loss = setting + loss
    if place == "above_update":
        update = setting + (update or WARNING_UPDATE.replace("torch.tensor(", "("))
    added = (("training", setting),) if place == "after_training" else ()
    return Answer(f"{action} {place} {warns}", loss=loss, update=update, added=added)


CASES = list(itertools.product(ACTIONS, PLACES, ["loss", "update"]))


@pytest.fixture(scope="module")
def lost() -> dict[tuple[str, str, str], set[str]]:
    answers = {case: answer_setting(*case) for case in CASES}
    reports = reports_for(list(answers.values()))
    return {
        case: {result.category for result in reports[answer.name].results if not result.passed}
        for case, answer in answers.items()
    }


@pytest.mark.parametrize(("action", "place", "warns"), CASES)
def test_a_function_that_warns_raises_exactly_where_jupyter_made_it_an_error(
    lost: dict[tuple[str, str, str], set[str]], action: str, place: str, warns: str
) -> None:
    error_before_the_loss_checks = action == "error" and place == "above_the_loss"
    error_before_training = action == "error" and place != "after_training"
    if warns == "loss":
        # The loss is asked at its graded cell; after it, a loss that raises in training is
        # not asked again, and update() is judged with a correct loss in its place.
        expected = {"loss"} if error_before_the_loss_checks else set()
    else:
        expected = set(ALL_OF_UPDATE) if error_before_training else set()
    assert lost[(action, place, warns)] == expected
