"""Submissions made from the released notebook, the way a student fills it in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

from autograder.batch import catalogue

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / "release" / "gradient_descent" / "gradient_descent.ipynb"


def filled_release(loss: str, update: str, release: Path = RELEASE) -> nbformat.NotebookNode:
    """The release with its two answer cells replaced by `loss` and `update`."""
    return catalogue.filled_release(release, loss, update)


def notebook_for(answer: Any, release: Path = RELEASE) -> nbformat.NotebookNode:
    """The release filled in with a corpus answer (see `tests.corpus.answers`)."""
    from tests.corpus.answers import REFERENCE

    return answer.notebook(release, REFERENCE)


def write_submission(path: Path, notebook: nbformat.NotebookNode) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path
