"""Submissions made from the released notebook, the way a student fills it in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "release" / "gradient_descent" / "gradient_descent.ipynb"


def filled_release(loss: str, update: str, release: Path = RELEASE) -> nbformat.NotebookNode:
    """The release with its two answer cells replaced by `loss` and `update`."""
    notebook = nbformat.read(release, as_version=4)
    answers = {"mean_squared_error": loss, "update": update}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers.pop(grade_id).strip() + "\n"
    if answers:
        raise ValueError(f"the release has no answer cell for {sorted(answers)}")
    return notebook


def notebook_for(answer: Any, release: Path = RELEASE) -> nbformat.NotebookNode:
    """The release filled in with a corpus answer (see `tests.answers`), with the cells the
    answer adds placed where it says."""
    from tests.answers import cells

    notebook = filled_release(*cells(answer), release=release)
    for after, source in answer.added:
        cell = nbformat.v4.new_code_cell(source)
        if not after:
            notebook.cells.append(cell)
            continue
        position = next(
            index
            for index, existing in enumerate(notebook.cells)
            if existing.get("metadata", {}).get("nbgrader", {}).get("grade_id") == after
        )
        notebook.cells.insert(position + 1, cell)
    return notebook


def write_submission(path: Path, notebook: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
