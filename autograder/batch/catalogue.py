"""Typical answers to the exercise, each with what grading must make of it.

The self-test (`python -m autograder selftest`) grades every answer here through the real
sandbox and compares: each must lose points in exactly the categories listed in `loses`, and
its feedback must name `mistake` first (and no mistake at all when it is None), and its
failed checks' messages must contain `says`.
An answer writes only the cell it gets wrong; the other cell is the instructor's reference
from the source notebook, so that the catalogue keeps its meaning when the reference changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.exercise import ASSIGNMENT

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
ALL_OF_UPDATE = frozenset({"update", "zero_grad", "convergence"})


@dataclass(frozen=True)
class Answer:
    name: str
    loss: str | None = None  # the mean_squared_error cell; None: the reference's
    update: str | None = None  # the update cell; None: the reference's
    loses: frozenset[str] = frozenset()  # categories that must lose points; all others keep all
    mistake: str | None = None  # the mistake the feedback names first; None: no guess at all
    says: str = ""  # a phrase the failed checks' messages must contain
    added: tuple[tuple[str, str], ...] = ()  # (grade id of the cell it follows, code) the
    # student added to the notebook; "" follows the last cell

    def cells(self, reference: tuple[str, str]) -> tuple[str, str]:
        """(loss cell, update cell), the reference's where this answer keeps it."""
        return (self.loss or reference[0], self.update or reference[1])

    def notebook(self, release: Path, reference: tuple[str, str]) -> Any:
        """The release as a student would hand it in with this answer: both answer cells
        filled in, and the cells the answer adds where it puts them."""
        import nbformat

        notebook = filled_release(release, *self.cells(reference))
        for after, source in self.added:
            cell = nbformat.v4.new_code_cell(source)
            ids = [_grade_id(existing) for existing in notebook.cells]
            position = ids.index(after) + 1 if after else len(ids)
            notebook.cells.insert(position, cell)
        return notebook


def _grade_id(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def filled_release(release: Path, loss: str, update: str) -> Any:
    """The release notebook with its two answer cells replaced by `loss` and `update`."""
    import nbformat

    notebook = nbformat.read(release, as_version=4)
    answers = {"mean_squared_error": loss, "update": update}
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id in answers:
            cell.source = answers.pop(grade_id).strip() + "\n"
    if answers:
        raise ValueError(f"the release has no answer cell for {sorted(answers)}")
    return notebook


def reference_cells(source: Path) -> tuple[str, str]:
    """The instructor's two answer cells from the source notebook, without solution markers."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    found = {}
    for cell in notebook.cells:
        grade_id = _grade_id(cell)
        if grade_id in ("mean_squared_error", "update"):
            lines = cell.source.splitlines()
            found[grade_id] = "".join(
                line + "\n" for line in lines if not line.strip().startswith(SOLUTION_MARKERS)
            )
    missing = {"mean_squared_error", "update"} - set(found)
    if missing:
        raise ValueError(f"{source} has no answer cell for {', '.join(sorted(missing))}")
    return found["mean_squared_error"], found["update"]


def source_notebook(root: Path) -> Path:
    return root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def _loss(body: str) -> str:
    return f"import torch\n\ndef mean_squared_error(y, y_guess):\n{body}"


def _update(body: str) -> str:
    return f"def update():\n{body}"


_STEP = """    y_hat = x @ a
    loss = mean_squared_error(y, y_hat)
    loss.backward()
"""


def _steps(*lines: str) -> str:
    """An update() that computes the gradient, then runs `lines` inside torch.no_grad()."""
    inside = "".join(f"        {line}\n" for line in lines)
    return _update(_STEP + "    with torch.no_grad():\n" + inside)


# Code that does not do the job earns nothing in the categories it does not do.
DO_NOTHING = [
    Answer(
        "update_does_nothing",
        update=_update("    pass\n"),
        loses=ALL_OF_UPDATE,
        mistake="update_no_step",
        says="change a copy",
    ),
    Answer(
        "loss_constant",
        loss=_loss("    return torch.tensor(8.231786)\n"),
        loses=frozenset({"loss"}),
        mistake="loss_constant",
        says="same value when y or y_guess changes",
    ),
    Answer(
        "loss_returns_none",
        loss=_loss("    return None\n"),
        loses=frozenset({"loss"}),
        says="returned None",
    ),
    Answer(
        "loss_none_and_update_doubles_a",
        loss=_loss("    return None\n"),
        update=_update("    with torch.no_grad():\n        a.mul_(2)\n"),
        loses=frozenset({"loss"}) | ALL_OF_UPDATE,
        mistake="update_not_gradient_step",
        says="not a step along the gradient",
    ),
    Answer(
        "update_jumps_to_the_fit",
        update=_update(
            "    with torch.no_grad():\n"
            "        a.copy_(torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1))\n"
        ),
        loses=ALL_OF_UPDATE,
        mistake="update_jumps_to_fit",
        says="does not solve for the best a",
    ),
    Answer(
        "update_only_from_the_first_guess",
        update=_update(
            "    with torch.no_grad():\n"
            "        a.copy_(torch.tensor([-0.7113698720932007, 1.3168202638626099]))\n"
        ),
        loses=ALL_OF_UPDATE,
        mistake="update_not_gradient_step",
        says="not a step along the gradient",
    ),
    Answer(
        "update_random_step",
        update=_update("    with torch.no_grad():\n        a.add_(torch.randn(2) * 0.1)\n"),
        loses=ALL_OF_UPDATE,
        mistake="update_not_gradient_step",
        says="not a step along the gradient",
    ),
    Answer(
        "loss_random",
        loss=_loss("    return torch.rand(()) + 0 * y_guess.sum()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_not_repeatable",
        says="different values for the same y and y_guess",
    ),
]

TYPICAL = [
    Answer(
        "loss_fourth_power",
        loss=_loss("    return ((y_guess - y) ** 4).mean()\n"),
        loses=frozenset({"loss"}),
        says="on the lesson data",
    ),
    Answer(
        "loss_sum",
        loss=_loss("    return ((y_guess - y) ** 2).sum()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_sum",
        says="sum instead of average",
    ),
    Answer(
        "loss_no_square",
        loss=_loss("    return (y_guess - y).mean()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_no_square",
        says="forget to square",
    ),
    Answer(
        "loss_item",
        loss=_loss("    return ((y_guess - y) ** 2).mean().item()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_item",
        says=".item()",
    ),
    Answer(
        "loss_absolute",
        loss=_loss("    return (y_guess - y).abs().mean()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_absolute",
        says="absolute value",
    ),
    Answer(
        "loss_root",
        loss=_loss("    return ((y_guess - y) ** 2).mean().sqrt()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_root",
        says="square root",
    ),
    Answer(
        "loss_right_only_on_the_lesson_data",
        loss=_loss(
            "    if len(y) == 100:\n"
            "        return ((y_guess - y) ** 2).mean()\n"
            "    return ((y_guess - y) ** 2).sum()\n"
        ),
        loses=frozenset({"loss"}),
        mistake="loss_hard_coded",
        says="other points",
    ),
    Answer(
        "loss_hard_coded",
        loss=_loss("    return (y_guess * 0).sum() + 8.231786\n"),
        loses=frozenset({"loss"}),
        mistake="loss_constant",
        says="not a measure of a guess",
    ),
    Answer(
        "loss_changes_guess",
        loss=_loss("    y_guess -= y\n    return (y_guess ** 2).mean()\n"),
        loses=frozenset({"loss"}),
        mistake="loss_changes_input",
        says="changed y_guess",
    ),
    Answer(
        "loss_keeps_a_dimension",
        loss=_loss("    return ((y_guess - y) ** 2).mean(dim=0, keepdim=True)\n"),
        loses=frozenset({"loss"}),
        mistake="loss_keeps_dimension",
        says="not one number",
    ),
    Answer(
        "loss_not_implemented",
        loss=_loss("    raise NotImplementedError()\n"),
        loses=frozenset({"loss"}),
        mistake="not_implemented",
        says="not implemented",
    ),
    Answer(
        "no_zero_grad",
        update=_steps("a.sub_(lr * a.grad)"),
        loses=frozenset({"zero_grad", "convergence"}),
        mistake="no_zero_grad",
        says="zero the gradient",
    ),
    Answer(
        "wrong_sign",
        update=_steps("a.add_(lr * a.grad)", "a.grad.zero_()"),
        loses=frozenset({"update", "convergence"}),
        mistake="update_wrong_sign",
        says="instead of subtracting",
    ),
    Answer(
        "learning_rate_too_small",
        update=_steps("a.sub_(0.01 * a.grad)", "a.grad.zero_()"),
        loses=frozenset({"update", "convergence"}),
        mistake="update_wrong_learning_rate",
        says="learning rate of 0.01",
    ),
    Answer(
        "step_outside_no_grad",
        update=_update(_STEP + "    a.sub_(lr * a.grad)\n    a.grad.zero_()\n"),
        loses=ALL_OF_UPDATE,
        mistake="update_outside_no_grad",
        says="torch.no_grad()",
    ),
    Answer(
        "ten_steps_per_call",
        update=_update(
            "    for _ in range(10):\n"
            "        loss = mean_squared_error(y, x @ a)\n"
            "        loss.backward()\n"
            "        with torch.no_grad():\n"
            "            a.sub_(lr * a.grad)\n"
            "            a.grad.zero_()\n"
        ),
        loses=frozenset({"update"}),
        mistake="update_several_steps",
        says="10 steps in one call",
    ),
    Answer(
        "zeroed_before_stepping",
        update=_steps("a.grad.zero_()", "a.sub_(lr * a.grad)"),
        loses=ALL_OF_UPDATE,
        mistake="update_no_step",
        says="change a copy",
    ),
    Answer(
        "no_backward",
        update=_update(
            "    loss = mean_squared_error(y, x @ a)\n"
            "    with torch.no_grad():\n        a.sub_(lr * a.grad)\n"
        ),
        loses=ALL_OF_UPDATE,
        mistake="update_no_backward",
        says="TypeError",
    ),
    Answer(
        "local_rebinding",
        update=_steps("a = a - lr * a.grad"),
        loses=ALL_OF_UPDATE,
        mistake="update_local_a",
        says="UnboundLocalError",
    ),
    Answer(
        "summed_loss_inside_update",
        update=_update(
            "    loss = ((x @ a - y) ** 2).sum()\n"
            "    loss.backward()\n"
            "    with torch.no_grad():\n        a.sub_(lr * a.grad)\n        a.grad.zero_()\n"
        ),
        loses=frozenset({"update", "convergence"}),
        mistake="update_wrong_learning_rate",
        says="learning rate of 10",
    ),
    Answer(
        "replaces_the_parameter",
        update=_update(
            "    global a\n"
            + _STEP
            + "    with torch.no_grad():\n        a = nn.Parameter(a - lr * a.grad)\n"
        ),
        loses=ALL_OF_UPDATE,
        mistake="update_replaced_a",
        says="new object",
    ),
    Answer(
        "zeroes_before_backward",
        update=_update(
            "    if a.grad is not None:\n        a.grad.zero_()\n"
            + _STEP
            + "    with torch.no_grad():\n        a.sub_(lr * a.grad)\n"
        ),
        loses=frozenset({"zero_grad"}),
        mistake="no_zero_grad",
        says="not zero",
    ),
    Answer(
        "update_not_implemented",
        update=_update("    raise NotImplementedError()\n"),
        loses=ALL_OF_UPDATE,
        mistake="not_implemented",
        says="not implemented",
    ),
]

MISTAKES = DO_NOTHING + TYPICAL
