"""Edits an instructor makes to the lesson in the source notebook, and courses built from them
as an instructor builds them: the source of a released course edited, then the release
regenerated with the real `nbgrader generate_assignment`.

Each edit is a list of (grade id of a read-only cell, text it holds, text to put instead): the
source notebook is changed only there, as an instructor changes it, so an edit that no longer
matches the notebook fails loudly instead of silently doing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.support.course import ASSIGNMENT, NOTEBOOK, copy_released, generate_release


@dataclass(frozen=True)
class Edit:
    name: str
    changes: tuple[tuple[str, str, str], ...]  # (grade id, old text, new text)
    says: str = ""  # for an ill-posed edit: a phrase its refusal must contain
    removed: tuple[str, ...] = ()  # grade ids of cells the instructor deletes

    def apply(self, source: Path) -> None:
        notebook = nbformat.read(source, as_version=4)
        notebook.cells = [cell for cell in notebook.cells if _grade_id(cell) not in self.removed]
        cells = {_grade_id(cell): cell for cell in notebook.cells}
        for grade_id, old, new in self.changes:
            cell = cells[grade_id]
            if old not in cell.source:
                raise AssertionError(f"{self.name}: {grade_id} does not hold {old!r}")
            cell.source = cell.source.replace(old, new)
        nbformat.write(notebook, source)


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


FIRST_GUESS = "torch.tensor([-1.0, 1.0])"

WELL_POSED = [
    Edit("another_seed", (("data", "torch.manual_seed(42)", "torch.manual_seed(7)"),)),
    Edit("fewer_points", (("data", "n = 100", "n = 40"),)),
    Edit(
        "smaller_learning_rate_and_more_epochs",
        (
            ("make-parameter", "lr = 0.1", "lr = 0.05"),
            ("training", "range(100)", "range(200)"),
        ),
    ),
    Edit(
        "fewer_epochs_and_a_larger_learning_rate",
        (
            ("make-parameter", "lr = 0.1", "lr = 0.2"),
            ("training", "range(100)", "range(60)"),
        ),
    ),
    Edit(
        "another_first_guess",
        (
            ("first-guess", f"a = {FIRST_GUESS}", "a = torch.tensor([5.0, -1.0])"),
            ("training", FIRST_GUESS, "torch.tensor([5.0, -1.0])"),
        ),
    ),
    Edit(
        "another_line_and_noise",
        (
            ("data", "torch.tensor([3.0, 2.0])", "torch.tensor([-2.0, 0.5])"),
            ("data", "torch.rand(n)", "0.3 * torch.randn(n)"),
        ),
    ),
    Edit(
        "everything_at_once",
        (
            ("data", "torch.manual_seed(42)", "torch.manual_seed(2026)"),
            ("data", "n = 100", "n = 250"),
            ("data", "uniform_(-1.0, 1.0)", "uniform_(-2.0, 2.0)"),
            ("data", "torch.tensor([3.0, 2.0])", "torch.tensor([1.5, -3.0])"),
            ("make-parameter", "lr = 0.1", "lr = 0.15"),
            ("first-guess", f"a = {FIRST_GUESS}", "a = torch.tensor([0.0, 0.0])"),
            ("training", FIRST_GUESS, "torch.tensor([0.0, 0.0])"),
            ("training", "range(100)", "range(150)"),
        ),
    ),
]

AT_THE_LIMITS = Edit(  # the most points and epochs a lesson may have (`autograder.lesson`)
    "at_the_limits",
    (
        ("data", "n = 100", "n = 1000"),
        ("make-parameter", "lr = 0.1", "lr = 0.02"),
        ("training", "range(100)", "range(1000)"),
    ),
)

ILL_POSED = [
    Edit(
        "learning_rate_zero",
        (("make-parameter", "lr = 0.1", "lr = 0"),),
        says="lr = 0 is not a positive finite number",
    ),
    Edit(
        "learning_rate_that_diverges",
        (("make-parameter", "lr = 0.1", "lr = 1.5"),),
        says="training diverges",
    ),
    Edit(
        "too_few_epochs",
        (("training", "range(100)", "range(5)"),),
        says="5 calls of update()",
    ),
    Edit(
        "learning_rate_schedule",
        (("training", "    update()", "    lr = 0.1 * 0.97**epoch\n    update()"),),
        says="lr at call 2 of update() is not what it was at the first",
    ),
    Edit(
        "training_that_never_calls_update",
        (("training", "range(100)", "range(0)"),),
        says="never calls update()",
    ),
    Edit(
        "targets_with_an_extra_dimension",
        (("data", "y = x @ a + torch.rand(n)", "y = (x @ a + torch.rand(n)).unsqueeze(1)"),),
        says="y has shape (100, 1)",
    ),
    Edit(
        "learning_rate_as_a_tensor",
        (("make-parameter", "lr = 0.1", "lr = torch.tensor(0.1)"),),
        says="lr must be a Python number",
    ),
    Edit(
        "no_graded_cell_for_zero_grad",
        (),
        says="no graded cell for zero_grad",
        removed=("zero_grad_checks",),
    ),
]


def edited_course(folder: Path, edit: Edit, released: Path) -> Path:
    """A copy of the `released` course (the e2e `released_course`) with `edit` made to its
    source notebook and the release regenerated by nbgrader, over the gradebook the first
    release made."""
    course = folder / "course"
    copy_released(released, course)
    edit.apply(course / "source" / ASSIGNMENT / NOTEBOOK)
    generate_release(course)
    return course
