"""The lesson's fixed setting, shared by the student sandbox and the judge.

Everything here is also printed in the notebook the students see, so none of it is secret:
the dataset is public by design, so that every student and every grading run fits the same
points.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

SEED = 42
N_POINTS = 100
TRUE_A = (3.0, 2.0)
FIRST_GUESS = (-1.0, 1.0)
LEARNING_RATE = 0.1
EPOCHS = 100
ASSIGNMENT = "gradient_descent"
ANSWER_CELLS = ("mean_squared_error", "update")  # grade ids of the cells students write
TRAINING_CELL = "training"  # the read-only cell that calls update() for every epoch
GRADED_CELL_SUFFIX = "_checks"  # graded cell `<category>_checks` holds a category's points
CATEGORIES = ("loss", "update", "zero_grad", "convergence")  # the graded cells, in order


def release_notebook(course_root: Path | None = None) -> Path:
    """The trusted copy of the student notebook: the course's own release when grading an
    nbgrader course, else the one this kit ships beside its package."""
    name = Path("release") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    roots = [course_root] if course_root is not None else []
    roots.append(Path(__file__).resolve().parent.parent)
    for root in roots:
        if (root / name).is_file():
            return root / name
    raise FileNotFoundError(
        f"no release notebook {name} in {' or '.join(str(root) for root in roots)}: run "
        f"`nbgrader generate_assignment {ASSIGNMENT}` first"
    )


def graded_cell(category: str) -> str:
    """The grade id of the notebook cell that carries a check category's points."""
    return f"{category}{GRADED_CELL_SUFFIX}"


def category_of(grade_id: str) -> str | None:
    """The check category a graded cell stands for, or None for any other cell."""
    if grade_id.endswith(GRADED_CELL_SUFFIX):
        return grade_id[: -len(GRADED_CELL_SUFFIX)]
    return None


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Rebuild the lesson's `x` and `y` exactly as the notebook's data cell does (in float32,
    whatever default dtype a student has set)."""
    import torch

    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(SEED)
        x = torch.ones(N_POINTS, 2, dtype=torch.float32)
        x[:, 0].uniform_(-1.0, 1.0)
        a = torch.tensor(TRUE_A, dtype=torch.float32)
        y = x @ a + torch.rand(N_POINTS, dtype=torch.float32)
    finally:
        torch.random.set_rng_state(generator_state)
    return x, y
