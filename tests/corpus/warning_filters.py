"""The class of notebooks that set a warning filter: every action a filter can take, every
place a notebook can set it, and either function warning (36 notebooks), with what each
must lose. A function that warns raises where the filters in force when Jupyter ran it make
that warning an error: the loss where its quick tests and graded cell run, `update()` in the
training cell. The in-process corpus grades the class; a real Jupyter kernel confirms where
each notebook raises."""

from __future__ import annotations

import itertools

from autograder.batch.catalogue import ALL_OF_UPDATE, Answer
from tests.corpus.fidelity import RIGHT, WARNING_UPDATE, loss_with

ACTIONS = ["error", "ignore", "default", "always", "once", "module"]
WARNING_LOSS = loss_with("    return torch.nn.functional.mse_loss(y_guess, y, reduce=True)\n")
# Where a notebook sets its filter: above its own loss (before the loss's graded cell and the
# training cell), above its own update() (after the first, before the second), or in a cell
# it added after the training cell.
PLACES = ["above_the_loss", "above_update", "after_training"]
CASES = list(itertools.product(ACTIONS, PLACES, ["loss", "update"]))


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


def must_lose(action: str, place: str, warns: str) -> set[str]:
    """A loss that warns loses its category where its graded cell meets an error filter (after
    that cell, a loss that raises in training is not asked again, and update() is judged with
    a correct loss in its place); an update() that warns loses all of update's where the
    training cell met one."""
    if action != "error" or place == "after_training":
        return set()
    if warns == "loss":
        return {"loss"} if place == "above_the_loss" else set()
    return set(ALL_OF_UPDATE)
