"""nbgrader's path (the grade cells' `score` calls, run in the student's own kernel) grades the
class of notebooks that change, after their training cell, what it ran with exactly as the
kit's sandbox does: a name the training cell read, deleted or rebound, or the warning filters,
set to any action, with either function warning. In Jupyter training had already run by then,
so the change cannot touch it; the sandbox replays training with what the cell found, and the
kernel's grade cells must too."""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

import nbformat
import pytest

from autograder.batch.catalogue import Answer
from autograder.exercise import release_notebook
from autograder.inside.replay import bound_names
from tests.corpus.fidelity import CALLS, UPDATE_THROUGH_AN_ALIAS
from tests.corpus.warning_filters import ACTIONS, answer_setting
from tests.support.course import SOURCE, cell, read
from tests.support.fidelity import fresh_directory
from tests.support.inprocess import records_for
from tests.support.jupyter import JupyterKernel
from tests.support.notebooks import notebook_for

pytestmark = pytest.mark.slow

TRAINING = "training"
GIVEN = {"x", "y", "lr", "a", "update", "mean_squared_error"}  # what every question hands over


def names_the_training_reads(source: str) -> list[str]:
    """The names the training cell reads from the notebook that no question hands over."""
    read_names = {
        node.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return sorted(read_names - bound_names(source) - GIVEN - set(dir(builtins)))


def members(release: Path) -> list[Answer]:
    """Every member of the class: each warning filter action set after training, with either
    function warning; each name training reads deleted or rebound after it; and a filter that
    made a warning an error before training, reset after it."""
    training = cell(read(release), TRAINING).source
    names = names_the_training_reads(training)
    assert names, "the training cell reads no name of the notebook's own"
    changed_names = [
        Answer(
            f"{change.strip()} after training",
            update=UPDATE_THROUGH_AN_ALIAS,
            added=((TRAINING, change),),
        )
        for name in names
        for change in (f"del {name}\n", f"{name} = None\n")
    ]
    filters = [
        answer_setting(action, "after_training", warns)
        for action in ACTIONS
        for warns in ("loss", "update")
    ]
    reset = [
        answer
        for answer in CALLS
        if answer.name == "warnings_shown_again_after_a_training_they_stopped"
    ]
    return changed_names + filters + reset


MEMBERS = members(release_notebook())


@pytest.fixture(scope="module")
def kit_totals() -> dict[str, float]:
    """Each member's total as the kit's sandbox grades it (its student side in this process)."""
    return {record.student: record.score for record in records_for(MEMBERS)}


def as_nbgrader_runs_it(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with its grade cells as nbgrader's autograde restores them: the source's,
    hidden tests and all."""
    source = read(SOURCE)
    for each in notebook.cells:
        grade_id = each.metadata.get("nbgrader", {}).get("grade_id", "")
        if each.metadata.get("nbgrader", {}).get("grade"):
            each.source = cell(source, grade_id).source
    return notebook


def graded_by_the_kernel(
    kernel: JupyterKernel, course: Path, notebook: nbformat.NotebookNode
) -> dict[str, tuple[float, str]]:
    """The points each grade cell returns, and what it printed, when a kernel runs the
    notebook inside the course."""
    code = [each for each in notebook.cells if each.cell_type == "code"]
    run = kernel.run([each.source for each in code], fresh_directory(course))
    graded = {}
    for each, error, value, printed in zip(code, run.errors, run.values, run.printed, strict=True):
        grade_id = each.metadata.get("nbgrader", {}).get("grade_id", "")
        if each.metadata.get("nbgrader", {}).get("grade"):
            assert error is None, f"{grade_id}: {error}"
            graded[grade_id] = (float(value or "nan"), printed)
    return graded


def kernel_total(kernel: JupyterKernel, course: Path, notebook: nbformat.NotebookNode) -> float:
    """The points the grade cells return when a kernel runs the notebook inside the course."""
    return sum(points for points, _ in graded_by_the_kernel(kernel, course, notebook).values())


@pytest.mark.parametrize("answer", MEMBERS, ids=[answer.name for answer in MEMBERS])
def test_the_grade_cells_give_the_kits_total(
    kernel: JupyterKernel, released_course: Path, kit_totals: dict[str, float], answer: Answer
) -> None:
    notebook = as_nbgrader_runs_it(notebook_for(answer, release_notebook()))
    assert kernel_total(kernel, released_course, notebook) == kit_totals[answer.name]


def test_grade_cells_that_all_come_after_training_say_they_ask_update_as_things_stand(
    kernel: JupyterKernel, released_course: Path
) -> None:
    """A notebook whose loss grade cell was dragged below training: no grade cell ran before
    training, so none could watch it. The grade cells of update() say so, and ask update()
    with the names as they stand (here, without `torch`)."""
    [deletes_torch] = [answer for answer in MEMBERS if answer.name == "del torch after training"]
    notebook = as_nbgrader_runs_it(notebook_for(deletes_torch, release_notebook()))
    cells = notebook.cells
    loss = next(i for i, each in enumerate(cells) if each.get("id") == "loss_checks")
    training = next(i for i, each in enumerate(cells) if each.get("id") == TRAINING)
    cells.insert(training, cells.pop(loss))
    graded = graded_by_the_kernel(kernel, released_course, notebook)
    note = "The training cell was not seen to run before this cell"
    assert note not in graded["loss_checks"][1]
    for grade_id in ("update_checks", "zero_grad_checks", "convergence_checks"):
        points, printed = graded[grade_id]
        assert note in printed, printed
        assert points == 0.0, printed
