"""The exercise's shape, shared by every stage: the assignment's name and the grade ids of the
cells the kit relies on. The lesson's numbers (data, first guess, learning rate, epochs) are not
here: they are read from the instructor's notebook (see `autograder.lesson`).
"""

from __future__ import annotations

from pathlib import Path

ASSIGNMENT = "gradient_descent"
ANSWER_CELLS = ("mean_squared_error", "update")  # grade ids of the cells students write
TRAINING_CELL = "training"  # the read-only cell that calls update() for every epoch
GRADED_CELL_SUFFIX = "_checks"  # graded cell `<category>_checks` holds a category's points
LOSS_CATEGORY = "loss"  # the graded cell of mean_squared_error's checks
CATEGORIES = (LOSS_CATEGORY, "update", "zero_grad", "convergence")  # the graded cells, in order


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


def release_above(start: Path) -> Path:
    """The release notebook of the course that `start` (a folder) lies in: where nbgrader runs
    a notebook's kernel (`source/<assignment>/`, `autograded/<student>/<assignment>/`)."""
    name = Path("release") / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for folder in [start, *start.parents]:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"no release notebook {name} in {start} or any folder above it: run "
        f"`nbgrader generate_assignment {ASSIGNMENT}` in the course first"
    )


def graded_cell(category: str) -> str:
    """The grade id of the notebook cell that carries a check category's points."""
    return f"{category}{GRADED_CELL_SUFFIX}"


def category_of(grade_id: str) -> str | None:
    """The check category a graded cell stands for, or None for any other cell."""
    if grade_id.endswith(GRADED_CELL_SUFFIX):
        return grade_id[: -len(GRADED_CELL_SUFFIX)]
    return None
