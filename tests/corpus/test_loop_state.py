"""Losses that read the training loop's state (`tests.corpus.loop_state`), generated over the
whole class: each loses the loss's points exactly when its window meets the epochs the lesson's
training cell runs, whoever of update() and the cell it is wrong for, in the shipped lesson and
in one whose training cell reads a number of epochs the notebook sets after the loss's graded
cell. Graded in-process, as the corpus is; `tests/e2e/test_loop_state_in_jupyter.py` shows a
real kernel agrees."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from autograder.batch.catalogue import Answer
from autograder.exercise import release_notebook
from autograder.inside.observations import LossTrainingQuestion
from tests.corpus.fidelity import SUMMED, loss_with
from tests.corpus.loop_state import Member, members
from tests.support.edits import Edit
from tests.support.inprocess import reports_for
from tests.support.lesson import shipped_reference

EPOCHS = shipped_reference().epochs


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member=members(EPOCHS))
def test_a_loss_wrong_for_a_window_of_training_loses_exactly_when_training_runs_it(
    member: Member,
) -> None:
    [report] = reports_for([member.answer()]).values()
    lost = {result.category for result in report.results if not result.passed}
    assert lost == ({"loss"} if member.changes_training(EPOCHS) else set()), member


# An instructor who names the number of epochs where the learning rate is set: the training
# cell reads a name the notebook sets only after the loss's graded cell.
EPOCHS_NAMED_LATER = Edit(
    "epochs_named_where_the_learning_rate_is_set",
    (
        ("make-parameter", "lr = 0.1", "lr = 0.1\nepochs = 80"),
        ("training", "range(100)", "range(epochs)"),
    ),
)


def graded_on(edit: Edit, answers: list[Answer], folder: Path) -> tuple[list, list]:
    """(the categories each answer lost, its answer about the loss along training), graded
    in-process on the shipped release with `edit` made to it."""
    release = folder / "gradient_descent.ipynb"
    shutil.copy(release_notebook(), release)
    edit.apply(release)
    reports = reports_for(answers, release=release).values()
    lost = [{r.category for r in report.results if not r.passed} for report in reports]
    asked = [
        answer
        for report in reports
        for (_, question), answer in report.answers.items()
        if isinstance(question, LossTrainingQuestion)
    ]
    assert len(asked) == len(answers)
    return lost, asked


def test_the_training_cell_asks_the_loss_where_it_reads_a_name_set_after_the_loss(
    tmp_path: Path,
) -> None:
    answers = [
        Answer("reference"),
        Member("epoch", 60, 70, "anyone", "sum").answer(),  # within its 80 epochs
        Member("epoch", 80, 90, "anyone", "sum").answer(),  # after them
    ]
    lost, asked = graded_on(EPOCHS_NAMED_LATER, answers, tmp_path)
    assert lost == [set(), {"loss"}, set()]
    assert all(answer.replay_failed is None and len(answer.in_update) == 80 for answer in asked)


# An instructor who makes the first guess beside the learning rate: the training cell reads a
# tensor the notebook makes only after the loss's graded cell, which no lesson can carry.
FIRST_GUESS_MADE_LATER = Edit(
    "first_guess_made_where_the_learning_rate_is_set",
    (
        ("make-parameter", "lr = 0.1", "lr = 0.1\nstart = torch.tensor([-1.0, 1.0])"),
        ("training", "nn.Parameter(torch.tensor([-1.0, 1.0]))", "nn.Parameter(start.clone())"),
    ),
)


def test_where_the_training_cell_cannot_run_at_the_loss_the_kits_loop_asks_and_says_why(
    tmp_path: Path,
) -> None:
    answers = [Answer("reference"), Answer("sums", loss=loss_with(f"    return {SUMMED}\n"))]
    lost, asked = graded_on(FIRST_GUESS_MADE_LATER, answers, tmp_path)
    assert lost == [set(), {"loss"}]
    assert [answer.replay_failed for answer in asked] == [
        "the lesson's training cell raised NameError: name 'start' is not defined"
    ] * len(answers)
