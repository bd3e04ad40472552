"""From a submitted .ipynb file to the code the student wrote, or a clear reason why not.

The notebook's read-only cells (imports, data, plots, tests) are not run while grading: the
sandbox sets up the lesson itself, exactly as those cells would. What runs is the student's
own code: the two answer cells and any cell the student added, in notebook order, with IPython
syntax (magics, shell escapes) turned into plain Python that the sandbox handles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOLUTION_CELLS = ("mean_squared_error", "update")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CODE_CHARS = 50_000


class InvalidNotebook(Exception):
    """The file cannot be graded as a notebook; the message says why, for the student."""


@dataclass
class StudentCode:
    cells: list[dict[str, Any]]  # {"index": notebook position, "source": plain Python}
    notes: list[str] = field(default_factory=list)  # things the student should know


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    metadata = cell.get("metadata")
    found = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def _plain_python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def nbgrader_checksum(cell: dict[str, Any]) -> str:
    """The checksum nbgrader stores for a locked cell (`nbgrader.utils.compute_checksum`).

    Computed here because importing nbgrader costs seconds per grading process; a test holds
    the two equal on every cell of the release.
    """
    meta = _nbgrader(cell)
    digest = hashlib.md5()
    for part in (
        _text(cell.get("source", "")),
        cell.get("cell_type", ""),
        str(bool(meta.get("grade"))),
        str(bool(meta.get("solution"))),
        str(not meta.get("solution") and bool(meta.get("grade") or meta.get("locked"))),
        meta.get("grade_id", ""),
    ):
        digest.update(str(part).encode("utf-8"))
    if meta.get("grade"):
        digest.update(str(float(meta.get("points", 0))).encode("utf-8"))
    return digest.hexdigest()


def _edited(cell: dict[str, Any]) -> bool:
    checksum = _nbgrader(cell).get("checksum")
    return checksum is not None and checksum != nbgrader_checksum(cell)


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook as nbformat 4 JSON; older formats are upgraded with nbformat itself."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise InvalidNotebook(f"cannot read the file: {error.strerror}") from None
    if size == 0:
        raise InvalidNotebook("the file is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is {size} bytes, more than a notebook should be")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise InvalidNotebook(f"the file is not valid JSON ({error})") from None
    if not isinstance(raw, dict) or ("cells" not in raw and "worksheets" not in raw):
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook")
    if raw.get("nbformat") != 4:
        raw = _upgraded(raw)
    cells = raw.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise InvalidNotebook("the notebook's cells are not a list of cells")
    return raw


def _upgraded(raw: dict[str, Any]) -> dict[str, Any]:
    import nbformat

    try:
        return json.loads(nbformat.writes(nbformat.reads(json.dumps(raw), as_version=4)))
    except Exception as error:
        raise InvalidNotebook(f"the notebook format is not readable ({error})") from None


def student_code(path: Path) -> StudentCode:
    """The cells to run for this submission, or `InvalidNotebook`."""
    notebook = read_notebook(path)
    notes: list[str] = []
    seen_ids: set[str] = set()
    found_solutions: list[str] = []
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        cell_id = cell.get("id")
        if cell_id is not None:
            if cell_id in seen_ids:
                raise InvalidNotebook(
                    f"two cells share the id {cell_id!r}; the notebook was "
                    "edited outside Jupyter — download a fresh copy and "
                    "paste your answers in"
                )
            seen_ids.add(cell_id)
        if cell.get("cell_type") != "code":
            continue
        meta = _nbgrader(cell)
        source = _text(cell.get("source", ""))
        if meta.get("solution"):
            found_solutions.append(meta.get("grade_id", ""))
        elif meta.get("locked") or meta.get("grade"):
            if _edited(cell):
                notes.append(f"read-only cell {index} was edited; the original was used")
            continue  # read-only and test cells: the sandbox provides their effect
        try:
            python = _plain_python(source)
        except Exception as error:
            raise InvalidNotebook(f"cell {index} cannot be read as Python ({error})") from None
        cells.append({"index": index, "source": python})
    for name in SOLUTION_CELLS:
        if name not in found_solutions:
            notes.append(f"the answer cell for {name} is missing (deleted?)")
    if sum(len(cell["source"]) for cell in cells) > MAX_CODE_CHARS:
        raise InvalidNotebook("the notebook holds more code than this exercise could need")
    return StudentCode(cells=cells, notes=notes)
