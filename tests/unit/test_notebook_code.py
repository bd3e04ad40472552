"""Reading submissions: the steps a notebook is graded with, what is noted, what is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest

from autograder.exercise import release_notebook
from autograder.intake.notebook import (
    MAX_CELLS,
    MAX_CODE_CELLS,
    MAX_MAGIC_LINES,
    Cell,
    Checkpoint,
    InvalidNotebook,
    load_release,
    notebook_bytes,
    plan_cells,
    plan_notebook,
)
from tests.support.notebooks import filled_release

LOSS = "def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).mean()\n"
UPDATE = "def update():\n    pass\n"
RELEASE = load_release(release_notebook())


def written(tmp_path: Path, notebook) -> Path:
    path = tmp_path / "student.ipynb"
    nbformat.write(notebook, path)
    return path


def planned(tmp_path: Path, notebook) -> tuple[list[str], list[str]]:
    """(what each step is, notes): a cell's origin and first line, or `checkpoint <category>`."""
    plan = plan_notebook(written(tmp_path, notebook), RELEASE)
    shown = []
    for step in plan.steps:
        if isinstance(step, Checkpoint):
            shown.append(f"checkpoint {step.category}")
        else:
            assert isinstance(step, Cell)
            lines = step.source.strip().splitlines() or [""]
            shown.append(f"{step.origin}: {lines[0]}")
    return shown, plan.notes


def test_read_only_cells_come_from_the_release_and_graded_cells_are_checkpoints(tmp_path):
    steps, notes = planned(tmp_path, filled_release(LOSS, UPDATE))
    assert notes == []
    assert steps[0] == "release: import torch"
    assert "student: def mean_squared_error(y, y_guess):" in steps
    assert "student: def update():" in steps
    checkpoints = [step for step in steps if step.startswith("checkpoint")]
    assert checkpoints == [
        "checkpoint loss",
        "checkpoint update",
        "checkpoint zero_grad",
        "checkpoint convergence",
    ]
    assert steps.index("checkpoint loss") < steps.index("student: def update():")
    assert steps[-1] == "checkpoint convergence"


def test_magics_reach_the_sandbox_as_written(tmp_path):
    notebook = filled_release("%matplotlib inline\n!pip install torch\n" + LOSS, UPDATE)
    steps, _ = planned(tmp_path, notebook)
    assert "student: %matplotlib inline" in steps


def test_edited_read_only_cells_run_as_released_and_deleted_answers_are_noted(tmp_path):
    notebook = filled_release(LOSS, UPDATE)
    data = next(cell for cell in notebook.cells if cell.get("id") == "data")
    data.source += "\nx = x * 2\n"
    notebook.cells = [
        cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") != "update"
    ]
    plan = plan_notebook(written(tmp_path, notebook), RELEASE)
    assert any("read-only but was edited; the original was used" in note for note in plan.notes)
    assert any("update is missing" in note for note in plan.notes)
    sources = [step.source for step in plan.steps if isinstance(step, Cell)]
    assert all("x = x * 2" not in source for source in sources)


def test_a_deleted_read_only_cell_still_runs(tmp_path):
    notebook = filled_release(LOSS, UPDATE)
    notebook.cells = [cell for cell in notebook.cells if cell.get("id") != "data"]
    steps, _ = planned(tmp_path, notebook)
    assert "release: torch.manual_seed(42)" in steps


def test_an_added_cell_runs_where_the_student_put_it(tmp_path):
    notebook = filled_release(LOSS, UPDATE)
    position = next(i for i, cell in enumerate(notebook.cells) if cell.get("id") == "first-guess")
    notebook.cells.insert(position + 1, nbformat.v4.new_code_cell("print(y_hat)"))
    steps, _ = planned(tmp_path, notebook)
    assert (
        steps[steps.index("student: print(y_hat)") - 1] == "release: a = torch.tensor([-1.0, 1.0])"
    )


def test_cells_after_the_last_graded_cell_are_not_run_and_the_student_is_told(tmp_path):
    notebook = filled_release(LOSS, UPDATE)
    notebook.cells.append(nbformat.v4.new_code_cell("lr = 1.05"))
    steps, notes = planned(tmp_path, notebook)
    assert "student: lr = 1.05" not in steps
    assert any("was not run: it comes after the last graded cell" in note for note in notes)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"{not json", "not valid JSON"),
        (b'{"name": "a notebook?"}', "not a Jupyter notebook"),
        (b"[1, 2, 3]", "not a Jupyter notebook"),
        (b"\xff\xfe", "not valid JSON"),
        (b'{"cells": [{"x": 1' + b"0" * 5000 + b"}]}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [1, 2]}',
            "not a list of cells",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": '
            b'[{"cell_type": "code", "source": [1, 2], "metadata": {}}]}',
            "not text",
        ),
    ],
)
def test_broken_files_are_refused_with_a_reason(tmp_path: Path, content: bytes, reason: str):
    path = tmp_path / "broken.ipynb"
    path.write_bytes(content)
    with pytest.raises(InvalidNotebook, match=reason):
        plan_notebook(path, RELEASE)


def test_cells_that_share_an_id_are_planned_as_if_each_had_its_own(tmp_path: Path):
    """Jupyter reads such a notebook (VS Code's copy and paste makes one), repairing the ids
    as nbformat does; the kit plans cells by nbgrader's grade ids, never by cell ids."""
    raw = json.loads(nbformat.writes(filled_release(LOSS, UPDATE)))
    planned = tmp_path / "planned.ipynb"
    planned.write_text(json.dumps(raw))
    for cell in raw["cells"]:
        cell["id"] = raw["cells"][0]["id"]
    twins = tmp_path / "twins.ipynb"
    twins.write_text(json.dumps(raw))
    assert plan_notebook(twins, RELEASE) == plan_notebook(planned, RELEASE)


@pytest.mark.parametrize(
    ("added", "reason"),
    [
        (["x = 1"] * (MAX_CODE_CELLS + 1), "code cells"),
        (["%time x = 1\n" * (MAX_MAGIC_LINES + 1)], "magics or shell commands"),
        (["y = !ls\n" * (MAX_MAGIC_LINES + 1)], "magics or shell commands"),
        (["# " + "x" * 200_000], "bytes of code"),
    ],
    ids=["cells", "magic lines", "shell assignments", "code"],
)
def test_notebooks_beyond_a_cap_are_refused_before_any_work(tmp_path, added, reason):
    notebook = filled_release(LOSS, UPDATE)
    notebook.cells[5:5] = [nbformat.v4.new_code_cell(source) for source in added]
    with pytest.raises(InvalidNotebook, match=reason):
        plan_notebook(written(tmp_path, notebook), RELEASE)


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
    plan = plan_notebook(path, RELEASE)
    sources = [step.source for step in plan.steps if isinstance(step, Cell)]
    assert sources[0] == LOSS  # no anchor: before every release cell
    assert any("mean_squared_error is missing" in note for note in plan.notes)


def old_notebook(cells: list[dict]) -> dict:
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [{"cells": cells, "metadata": {}}],
    }


def old_code_cell(source: str, outputs: int = 0) -> dict:
    stream = {"output_type": "stream", "stream": "stdout", "text": "printed\n"}
    return {
        "cell_type": "code",
        "input": source,
        "language": "python",
        "outputs": [stream] * outputs,
        "metadata": {},
    }


@pytest.mark.parametrize(
    "cells",
    [
        [old_code_cell("x = 1") for _ in range(200_000)],  # each with its cell_type
        [{} for _ in range(300_000)],  # no cell_type to count before parsing
    ],
    ids=["cells", "cells without a type"],
)
def test_an_oversized_old_format_notebook_is_refused_in_well_under_a_second(tmp_path, cells):
    """Before the cap, nbformat's upgrade of such a file took the judge about a minute."""
    path = tmp_path / "old.ipynb"
    path.write_bytes(json.dumps(old_notebook(cells), separators=(",", ":")).encode())
    started = time.perf_counter()
    with pytest.raises(InvalidNotebook, match=f"more than {MAX_CELLS} cells"):
        plan_notebook(path, RELEASE)
    assert time.perf_counter() - started < 0.5


def test_an_old_format_notebook_at_the_cap_upgrades_in_bounded_time(tmp_path):
    """Every cell as large as the caps allow: nbformat never sees the outputs."""
    cells = [old_code_cell(f"x{n} = {n}", outputs=50) for n in range(MAX_CELLS - 10)]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old_notebook(cells)))
    notebook_bytes(path)  # the file read once: time the work, not the disk
    started = time.perf_counter()
    with pytest.raises(InvalidNotebook, match="code cells"):
        plan_notebook(path, RELEASE)
    assert time.perf_counter() - started < 3.0


def shape_of(steps: list) -> list[tuple[str, str, str]]:
    """What a plan runs, in order, without the labels and grade ids only metadata gives."""
    return [
        ("cell", step.source, step.origin)
        if isinstance(step, Cell)
        else ("graded", step.category, "")
        for step in steps
    ]


@pytest.mark.parametrize("stripped", ["every cell", "the read-only cells"])
@pytest.mark.parametrize("experiment_at", ["end", "top", "after the training"])
def test_a_notebook_stripped_of_metadata_runs_as_the_same_notebook_with_it(experiment_at, stripped):
    """An editor that drops cell metadata (VS Code, Colab) leaves the read-only cells'
    source as it was: they are found by it, so a student's cells run where they put them
    among them, and an experiment below the last graded cell still changes nothing."""
    notebook = json.loads(nbformat.writes(filled_release(LOSS, UPDATE)))
    experiment = nbformat.v4.new_code_cell("def update():\n    a.sub_(a.grad)\n")
    experiment.pop("id")
    ids = [cell["metadata"].get("nbgrader", {}).get("grade_id") for cell in notebook["cells"]]
    at = {"end": len(ids), "top": 0, "after the training": ids.index("training") + 1}
    notebook["cells"].insert(at[experiment_at], json.loads(json.dumps(experiment)))
    kept = plan_cells(json.loads(json.dumps(notebook)), RELEASE)
    for cell in notebook["cells"]:
        if stripped == "every cell" or not cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["metadata"] = {}
    assert shape_of(plan_cells(notebook, RELEASE).steps) == shape_of(kept.steps)
