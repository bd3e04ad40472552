"""Typical answers to the exercise, each with what grading must make of it, on any lesson.

The self-test (`python -m autograder selftest`) grades every answer here through the real
sandbox and compares: each must lose points in exactly the categories in `loses` (those in
`may_lose` are not pinned: whether a random step size still reaches the fit depends on its
draws), must end with `status`, its feedback must name `mistake` first (and no mistake at all
when it is None), and its failed checks' messages must contain `says`.

The answers are written against the lesson the instructor's notebook states (`catalogue`): a
constant loss returns the lesson's own loss of the first guess, a learning rate ten times too
small is the lesson's divided by ten. Where a mistake's fate in training depends on the
lesson (a smaller learning rate may still reach the fit in a long enough training), the
expectation is worked out by the judge's maths for that lesson (`reaches_fit`).

An answer writes only the cells it gets wrong; the other cell is the instructor's reference
from the source notebook, so that the catalogue keeps its meaning when the reference changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.exercise import ASSIGNMENT, CATEGORIES
from autograder.judge.reference import Reference, ieee_arithmetic

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
ALL_OF_UPDATE = frozenset({"update", "zero_grad", "convergence"})
GRADED = "graded"
MISSING_FUNCTION = "missing_function"


@dataclass(frozen=True)
class Answer:
    name: str
    loss: str | None = None  # the mean_squared_error cell; None: the reference's
    update: str | None = None  # the update cell; None: the reference's
    loses: frozenset[str] = frozenset()  # categories that must lose points
    mistake: str | None = None  # the mistake the feedback names first; None: no guess at all
    says: str = ""  # a phrase the failed checks' messages must contain
    added: tuple[tuple[str, str], ...] = ()  # (grade id of the cell it follows, code) the
    # student added to the notebook; "" follows the last cell
    moved: tuple[tuple[str, str], ...] = ()  # (answer cell's grade id, grade id of the cell
    # the student dragged it below)
    may_lose: frozenset[str] = frozenset()  # categories whose outcome is not pinned
    status: str = GRADED

    def keeps(self) -> frozenset[str]:
        """The categories that must keep every point."""
        return frozenset(CATEGORIES) - self.loses - self.may_lose

    def cells(self, reference: tuple[str, str]) -> tuple[str, str]:
        """(loss cell, update cell), the reference's where this answer keeps it."""
        return (self.loss or reference[0], self.update or reference[1])

    def notebook(self, release: Path, reference: tuple[str, str]) -> Any:
        """The release as a student would hand it in with this answer: both answer cells
        filled in, moved where the answer drags them, and the cells it adds where it puts
        them."""
        import nbformat

        notebook = filled_release(release, *self.cells(reference))
        for moved, below in self.moved:
            cell = notebook.cells.pop(_grade_ids(notebook).index(moved))
            notebook.cells.insert(_grade_ids(notebook).index(below) + 1, cell)
        for after, source in self.added:
            cell = nbformat.v4.new_code_cell(source)
            ids = _grade_ids(notebook)
            position = ids.index(after) + 1 if after else len(ids)
            notebook.cells.insert(position, cell)
        return notebook


def _grade_id(cell: Any) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _grade_ids(notebook: Any) -> list[str | None]:
    return [_grade_id(cell) for cell in notebook.cells]


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


def reaches_fit(reference: Reference, rates: Sequence[Sequence[float]]) -> bool:
    """Whether training whose call k takes steps of the learning rates `rates[k]` (each along
    the gradient, from where `a` is) ends as close to the fit as the convergence check asks."""
    position = reference.first_guess
    with ieee_arithmetic():  # steps of the wrong size may diverge
        for call in rates:
            for rate in call:
                position = reference.step_from(position, rate)
    return bool(np.isfinite(position).all()) and (
        reference.distance_to_fit(position) <= reference.tolerance
    )


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


def _losing_convergence(reference: Reference, rates: Sequence[Sequence[float]]) -> frozenset[str]:
    return frozenset() if reaches_fit(reference, rates) else frozenset({"convergence"})


def do_nothing(reference: Reference) -> list[Answer]:
    """Code that does not do the job earns nothing in the categories it does not do."""
    first_loss = reference.loss_at(reference.first_guess)
    stepped = reference.given(reference.step_from(reference.first_guess))
    one_step = ", ".join(repr(value) for value in stepped)
    gradient = reference.gradient_at(reference.first_guess)
    across = (
        np.array([-gradient[1], gradient[0]]) * reference.scale / (5 * np.linalg.norm(gradient))
    )
    sideways = ", ".join(repr(value) for value in reference.given(across))
    return [
        Answer(
            "update_does_nothing",
            update=_update("    pass\n"),
            loses=ALL_OF_UPDATE,
            mistake="update_no_step",
            says="change a copy",
        ),
        Answer(
            "loss_constant",
            loss=_loss(f"    return torch.tensor({first_loss!r})\n"),
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
            "loss_none_and_update_moves_a_across_the_gradient",
            loss=_loss("    return None\n"),
            update=_update(
                f"    with torch.no_grad():\n        a.add_(torch.tensor([{sideways}]))\n"
            ),
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
                f"    with torch.no_grad():\n        a.copy_(torch.tensor([{one_step}]))\n"
            ),
            loses=ALL_OF_UPDATE,
            mistake="update_stopped",
            says="call 2 of",
        ),
        Answer(
            "update_random_step",
            update=_update("    with torch.no_grad():\n        a.add_(torch.randn(2) * lr)\n"),
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


def typical(reference: Reference) -> list[Answer]:
    """The mistakes students make, each costing points where it belongs."""
    lr, n, epochs = reference.lr, reference.lesson.n, reference.epochs
    first_loss = reference.loss_at(reference.first_guess)
    return [
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
                f"    if len(y) == {n}:\n"
                "        return ((y_guess - y) ** 2).mean()\n"
                "    return ((y_guess - y) ** 2).sum()\n"
            ),
            loses=frozenset({"loss"}),
            mistake="loss_hard_coded",
            says="other points",
        ),
        Answer(
            "loss_hard_coded",
            loss=_loss(f"    return (y_guess * 0).sum() + {first_loss!r}\n"),
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
            loses=frozenset({"update"}) | _losing_convergence(reference, [[-lr]] * epochs),
            mistake="update_wrong_sign",
            says="instead of subtracting",
        ),
        Answer(
            "learning_rate_too_small",
            update=_steps("a.sub_(lr / 10 * a.grad)", "a.grad.zero_()"),
            loses=frozenset({"update"}) | _losing_convergence(reference, [[lr / 10]] * epochs),
            mistake="update_wrong_learning_rate",
            says=f"learning rate of {lr / 10:.3g}",
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
            loses=frozenset({"update"}) | _losing_convergence(reference, [[lr] * 10] * epochs),
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
            loses=frozenset({"update"}) | _losing_convergence(reference, [[lr * n]] * epochs),
            mistake="update_wrong_learning_rate",
            says=f"learning rate of {lr * n:.3g}",
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


def stateful(reference: Reference) -> list[Answer]:
    """Updates that keep state between calls, right on some calls and wrong on others: each
    loses exactly where the calls that differ go wrong."""
    lr, epochs = reference.lr, reference.epochs
    halving = [[lr * 0.5**call] for call in range(epochs)]
    return [
        Answer(
            "momentum_kept_on_the_parameter",
            update=_steps(
                "velocity = getattr(a, 'velocity', torch.zeros_like(a))",
                "a.velocity = 0.9 * velocity + lr * a.grad",
                "a.sub_(a.velocity)",
                "a.grad.zero_()",
            ),
            loses=frozenset({"update", "convergence"}),
            mistake="update_momentum",
            says="call 2 of",
        ),
        Answer(
            "learning_rate_halved_every_call",
            update=_steps(
                "a.calls = getattr(a, 'calls', 0) + 1",
                "a.sub_(lr * 0.5 ** (a.calls - 1) * a.grad)",
                "a.grad.zero_()",
            ),
            loses=frozenset({"update"}) | _losing_convergence(reference, halving),
            mistake="update_changing_learning_rate",
            says="call 2 of",
        ),
        Answer(
            "two_steps_then_a_jump_to_the_fit",
            update=_steps(
                "a.calls = getattr(a, 'calls', 0) + 1",
                "if a.calls <= 2:",
                "    a.sub_(lr * a.grad)",
                "else:",
                "    a.copy_(torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1))",
                "a.grad.zero_()",
            ),
            loses=frozenset({"update", "convergence"}),
            mistake="update_jumps_to_fit",
            says="call 3 of",
        ),
        Answer(
            "gradient_zeroed_on_the_first_call_only",
            update="zeroed = False\n"
            + _steps(
                "global zeroed",
                "a.sub_(lr * a.grad)",
                "if not zeroed:",
                "    a.grad.zero_()",
                "    zeroed = True",
            ),
            loses=frozenset({"zero_grad", "convergence"}),
            mistake="no_zero_grad",
            says="piling up",
        ),
        Answer(
            "random_step_size",
            update=_steps("a.sub_(lr * (0.5 + 0.45 * torch.rand(())) * a.grad)", "a.grad.zero_()"),
            loses=frozenset({"update"}),
            may_lose=frozenset({"convergence"}),
            mistake="update_wrong_learning_rate",
            says="learning rate of",
        ),
    ]


def as_in_jupyter(reference: Reference) -> list[Answer]:
    """Notebooks whose grade depends on running cells exactly as Jupyter runs them."""
    helper = (
        "import torch\n\ndef squared_mean(y, y_guess):\n    return ((y_guess - y) ** 2).mean()\n"
    )
    uses_helper = (
        "from {module} import squared_mean\n\n"
        "def mean_squared_error(y, y_guess):\n    return squared_mean(y, y_guess)\n"
    )
    return [
        Answer(
            "update_redefined_inside_timeit",
            added=(("update", "%%timeit -n1 -r1\ndef update():\n    pass\n"),),
        ),
        Answer(
            "update_defined_inside_capture",
            update="%%capture\n" + _steps("a.sub_(lr * a.grad)", "a.grad.zero_()"),
        ),
        Answer(
            "loss_from_a_module_written_with_writefile",
            loss=uses_helper.format(module="written_helper"),
            added=(("data-plot", f"%%writefile written_helper.py\n{helper}"),),
        ),
        Answer(
            "loss_from_a_module_written_with_open",
            loss=uses_helper.format(module="opened_helper"),
            added=(("data-plot", f"open('opened_helper.py', 'w').write({helper!r})\n"),),
        ),
        Answer(
            "loss_annotated_after_a_future_import",
            loss="from __future__ import annotations\n\n"
            "def mean_squared_error(y: Tensor, y_guess: Tensor) -> Tensor:\n"
            "    return ((y_guess - y) ** 2).mean()\n",
        ),
        Answer(
            "loss_annotated_with_an_undefined_name",
            loss="def mean_squared_error(y: Tensor, y_guess: Tensor) -> Tensor:\n"
            "    return ((y_guess - y) ** 2).mean()\n",
            loses=frozenset({"loss"}),
            mistake="undefined_mean_squared_error",
            says="not defined",
            status=MISSING_FUNCTION,
        ),
        Answer(
            "loss_dragged_below_its_graded_cell",
            moved=(("mean_squared_error", "loss_checks"),),
            loses=frozenset({"loss"}),
            mistake="undefined_mean_squared_error",
            says="not defined",
            status=MISSING_FUNCTION,
        ),
    ]


def correct(reference: Reference) -> list[Answer]:
    """Right answers in the styles students write them, which must keep every point."""
    return [
        Answer(
            "learning_rate_written_inside_update",
            update=_update(
                f"    lr = {reference.lr!r}\n"
                + _STEP
                + "    with torch.no_grad():\n        a.sub_(lr * a.grad)\n        a.grad = None\n"
            ),
        ),
    ]


def catalogue(reference: Reference) -> list[Answer]:
    """Every typical answer, written against the lesson of `reference`."""
    return [
        *correct(reference),
        *do_nothing(reference),
        *typical(reference),
        *stateful(reference),
        *as_in_jupyter(reference),
    ]
