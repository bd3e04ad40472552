"""Submissions made from the released notebook, the way a student fills it in."""

from __future__ import annotations

from pathlib import Path

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


def write_submission(path: Path, notebook: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
