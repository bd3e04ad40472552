"""Reading submissions: what runs, what is noted, and what is refused as invalid."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import compute_checksum

from autograder.notebook_code import InvalidNotebook, nbgrader_checksum, student_code
from tests.course import RELEASE, SOURCE
from tests.notebooks import filled_release

LOSS = "def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).mean()\n"
UPDATE = "def update():\n    pass\n"


@pytest.mark.parametrize("notebook", [RELEASE, SOURCE], ids=["release", "source"])
def test_checksums_match_nbgrader_on_every_cell(notebook: Path):
    for cell in nbformat.read(notebook, as_version=4).cells:
        if "nbgrader" in cell.metadata:
            assert nbgrader_checksum(cell) == compute_checksum(cell), cell.id


def written(tmp_path: Path, notebook) -> Path:
    path = tmp_path / "student.ipynb"
    nbformat.write(notebook, path)
    return path


def test_only_the_students_own_cells_run(tmp_path: Path):
    code = student_code(written(tmp_path, filled_release(LOSS, UPDATE)))
    sources = [cell["source"] for cell in code.cells]
    assert sources == [LOSS, UPDATE]
    assert code.notes == []


def test_magics_and_shell_escapes_become_plain_python(tmp_path: Path):
    notebook = filled_release("%matplotlib inline\n!pip install torch\n" + LOSS, UPDATE)
    code = student_code(written(tmp_path, notebook))
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in code.cells[0]["source"]
    assert "get_ipython().system('pip install torch')" in code.cells[0]["source"]


def test_edited_read_only_cells_and_deleted_answers_are_noted(tmp_path: Path):
    notebook = filled_release(LOSS, UPDATE)
    data = next(cell for cell in notebook.cells if cell.get("id") == "data")
    data.source += "\nx = x * 2\n"
    notebook.cells = [
        cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") != "update"
    ]
    code = student_code(written(tmp_path, notebook))
    assert any("read-only cell" in note and "edited" in note for note in code.notes)
    assert any("update is missing" in note for note in code.notes)
    assert all("x = x * 2" not in cell["source"] for cell in code.cells)


def test_an_added_cell_runs_in_notebook_order(tmp_path: Path):
    notebook = filled_release(LOSS, UPDATE)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("helper = 1"))
    code = student_code(written(tmp_path, notebook))
    assert [cell["source"] for cell in code.cells] == ["helper = 1\n", LOSS, UPDATE]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"name": "a notebook?"}', "not a Jupyter notebook"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b"\xff\xfe", "not valid JSON"),
        (
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [1, 2]}',
            "not a list of cells",
        ),
    ],
)
def test_broken_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, reason: str):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidNotebook, match=reason):
        student_code(path)


def test_duplicate_cell_ids_are_refused(tmp_path: Path):
    raw = json.loads(nbformat.writes(filled_release(LOSS, UPDATE)))
    raw["cells"][1]["id"] = raw["cells"][0]["id"]
    path = tmp_path / "twins.ipynb"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidNotebook, match="share the id"):
        student_code(path)


def test_an_old_nbformat_3_notebook_is_upgraded_and_read(tmp_path: Path):
    old = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": LOSS,
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old))
    code = student_code(path)
    assert [cell["source"] for cell in code.cells] == [LOSS]
