"""Losses that read the training loop's state (`tests.corpus.loop_state`) change the notebook's
own training in a real Jupyter kernel exactly when the kit's expectation says they lose the
loss's points: their window meets the epochs the training cell runs. Changed means the losses
the cell recorded, or where `a` ended, differ from the reference notebook's own run, or the
cell raised. Members of the class are drawn by Hypothesis; the in-process corpus grades the
same class against the same expectation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from autograder.batch.catalogue import Answer
from autograder.exercise import release_notebook
from tests.corpus.loop_state import Member, members
from tests.support.fidelity import fresh_directory
from tests.support.jupyter import JupyterKernel
from tests.support.lesson import shipped_reference
from tests.support.notebooks import notebook_for

pytestmark = pytest.mark.slow

EPOCHS = shipped_reference().epochs
TRAINING = "training"
TRAINED = "__import__('json').dumps([losses, a.detach().tolist()])"


def trained_in_jupyter(kernel: JupyterKernel, workspace: Path, answer: Answer) -> list | None:
    """[the losses the training cell recorded, where `a` ended], or None if it raised."""
    notebook = notebook_for(answer, release_notebook())
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    run = kernel.run([cell.source for cell in code], fresh_directory(workspace))
    for cell, error in zip(code, run.errors, strict=True):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == TRAINING and error is not None:
            return None
    return json.loads(kernel.evaluate(TRAINED))


@pytest.fixture(scope="module")
def reference_training(kernel: JupyterKernel, workspace: Path) -> list:
    trained = trained_in_jupyter(kernel, workspace, Answer("reference"))
    assert trained is not None
    return trained


def same_training(trained: list | None, reference: list) -> bool:
    return trained is not None and all(
        np.allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float), rtol=1e-6)
        for ours, theirs in zip(trained, reference, strict=True)
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member=members(EPOCHS))
def test_jupyter_trains_differently_exactly_when_the_kit_takes_the_loss_points(
    kernel: JupyterKernel, workspace: Path, reference_training: list, member: Member
) -> None:
    trained = trained_in_jupyter(kernel, workspace, member.answer())
    changed = not same_training(trained, reference_training)
    assert changed == member.changes_training(EPOCHS), member
