"""Where the class of notebooks that set a warning filter (`tests.corpus.warning_filters`)
raises in a real Jupyter kernel is where the kit judges it: a loss that warns loses its points
exactly when its quick tests, just above its graded cell, raise in Jupyter; an update() that
warns loses update's exactly when the training cell raises there."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.exercise import release_notebook
from tests.corpus.warning_filters import CASES, answer_setting, must_lose
from tests.support.fidelity import fresh_directory
from tests.support.jupyter import JupyterKernel
from tests.support.notebooks import notebook_for

pytestmark = pytest.mark.slow

# The release's cell that runs the loss just above its graded cell, and the training cell.
LOSS_RUNS, TRAINING = "loss-quick-tests", "training"


def raised_in_jupyter(
    kernel: JupyterKernel, workspace: Path, case: tuple[str, str, str]
) -> set[str]:
    """The grade ids of the release's cells that raised when Jupyter ran the case's notebook."""
    notebook = notebook_for(answer_setting(*case), release_notebook())
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    run = kernel.run([cell.source for cell in code], fresh_directory(workspace))
    return {
        cell.metadata.get("nbgrader", {}).get("grade_id", "")
        for cell, error in zip(code, run.errors, strict=True)
        if error is not None
    }


@pytest.mark.parametrize(("action", "place", "warns"), CASES)
def test_the_kit_judges_a_function_lost_exactly_where_jupyter_raised(
    kernel: JupyterKernel, workspace: Path, action: str, place: str, warns: str
) -> None:
    raised = raised_in_jupyter(kernel, workspace, (action, place, warns))
    lost = must_lose(action, place, warns)
    if warns == "loss":
        assert (LOSS_RUNS in raised) == ("loss" in lost), raised
    else:
        assert (TRAINING in raised) == ("update" in lost), raised
