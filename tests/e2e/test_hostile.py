"""The hostile corpus graded for real: one `grade` run, sandbox and all, then every verdict."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from autograder.judge.check import CHECKS_DIR
from tests.corpus.answers import CORRECT
from tests.corpus.hostile import CASES, Hostile
from tests.support.course import ROOT, SOURCE
from tests.support.notebooks import filled_release, notebook_for, write_submission

pytestmark = pytest.mark.slow
MARKER = f"hostile{uuid.uuid4().hex[:10]}"
MARKER_SECONDS = str(900_000 + uuid.uuid4().int % 90_000)


def duplicate_ids(notebook: nbformat.NotebookNode) -> str:
    raw = json.loads(nbformat.writes(notebook))
    raw["cells"][1]["id"] = raw["cells"][0]["id"]
    return json.dumps(raw)


def overwrite_graded_cell(notebook: nbformat.NotebookNode) -> str:
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "12.0"
    return nbformat.writes(notebook)


def nbformat_3(notebook: nbformat.NotebookNode) -> str:
    cells = [
        {
            "cell_type": "code",
            "input": cell.source,
            "language": "python",
            "outputs": [],
            "metadata": {},
        }
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    ]
    return json.dumps(
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {"name": "old"},
            "worksheets": [{"cells": cells, "metadata": {}}],
        }
    )


def thousands_of_cells(notebook: nbformat.NotebookNode) -> str:
    notebook.cells.extend(nbformat.v4.new_code_cell("") for _ in range(5000))
    return nbformat.writes(notebook)


def garbage_metadata(notebook: nbformat.NotebookNode) -> str:
    raw = json.loads(nbformat.writes(notebook))
    for cell in raw["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id == "mean_squared_error":
            cell["metadata"]["nbgrader"] = ["not", "a", "dict"]
        elif grade_id == "update":
            cell["metadata"]["nbgrader"]["grade_id"] = 12345
    return json.dumps(raw)


EDITS = {
    f.__name__: f
    for f in (
        duplicate_ids,
        overwrite_graded_cell,
        nbformat_3,
        thousands_of_cells,
        garbage_metadata,
    )
}
HONEST = [answer for answer in CORRECT if not answer.added]


def content(case: Hostile, values: dict[str, str]) -> bytes:
    if case.file is not None:
        return case.file
    notebook = filled_release(case.loss.format(**values), case.update.format(**values))
    if case.edit:
        return EDITS[case.edit](notebook).encode()
    return nbformat.writes(notebook).encode()


@pytest.fixture(scope="module")
def listener():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.setblocking(False)
    yield server
    server.close()


@pytest.fixture(scope="module")
def secret_outside_the_runtime() -> Iterator[Path]:
    """A file in the home directory: outside the runtime, like an instructor's solutions."""
    folder = Path.home() / f".hostile-{MARKER}"
    folder.mkdir()
    secret = folder / "solutions.txt"
    secret.write_text(f"{MARKER}-SOLUTIONS")
    yield secret
    secret.unlink()
    folder.rmdir()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener, secret_outside_the_runtime) -> dict:
    """Grade every hostile case in one batch beside honest students; the judge's process must
    come out unharmed."""
    folder = tmp_path_factory.mktemp("hostile")
    class_dir, out = folder / "class", folder / "out"
    class_dir.mkdir()
    values = {
        "marker": MARKER,
        "marker_seconds": MARKER_SECONDS,
        "port": str(listener.getsockname()[1]),
        "out": str(out),
        "secrets": repr(
            [
                str(CHECKS_DIR / "test_loss.py"),
                str(SOURCE),
                str(class_dir / "always_equal_object.ipynb"),
                str(ROOT / "autograder" / "reference.py"),
                str(secret_outside_the_runtime),
                "/etc/shadow",
                str(Path.home() / ".bash_history"),
            ]
        ),
    }
    for case in CASES:
        name = case.file_name or f"{case.name}.ipynb".encode()
        with open(os.path.join(os.fsencode(class_dir), name), "wb") as stream:
            stream.write(content(case, values))
    for answer in HONEST:
        write_submission(class_dir / f"honest-{answer.name}.ipynb", notebook_for(answer))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(class_dir),
            "--out",
            str(out),
            "--timeout",
            "5",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    records = {}
    for path in (out / "records").glob("*.json"):
        record = json.loads(path.read_text())
        records[record["student"]] = record
    return {"results": results, "records": records, "out": out, "stdout": done.stdout}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_hostile_submission_gets_its_verdict(graded, case: Hostile):
    rows = [row for row in graded["results"]["submissions"] if row["student"] == case.row_id]
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"], row["score"]) == (case.status, case.score), row["message"]
    assert row["message"]


def test_honest_students_graded_beside_the_attacks_get_full_marks(graded):
    rows = {row["student"]: row for row in graded["results"]["submissions"]}
    for answer in HONEST:
        row = rows[f"honest-{answer.name}"]
        assert (row["status"], row["score"]) == ("graded", 12.0), row["message"]


def test_every_submission_has_exactly_one_row_and_one_record(graded):
    students = [row["student"] for row in graded["results"]["submissions"]]
    expected = [case.row_id for case in CASES] + [f"honest-{a.name}" for a in HONEST]
    assert sorted(students) == sorted(expected)
    assert sorted(graded["records"]) == sorted(expected)


def test_no_spreadsheet_cell_is_a_formula_and_no_terminal_line_a_command(graded):
    with (graded["out"] / "grades.csv").open(newline="", encoding="utf-8") as stream:
        cells = [cell for row in csv.reader(stream) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK" in (graded["out"] / "grades.csv").read_text(encoding="utf-8")
    assert "\x1b" not in graded["stdout"]
    report = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert "\x1b" not in report and "\u202e" not in report


def test_nothing_secret_was_read_and_nothing_planted(graded):
    everything = json.dumps(graded["records"])
    for leak in ("LEAKED", "SEES", "SNOOPED", "CONNECTED", "IMPORTED", "SOLUTIONS"):
        assert f"{MARKER}-{leak}" not in everything
    assert f"{MARKER}-WROTE {graded['out']}" not in everything
    assert not list(graded["out"].rglob(f"{MARKER}-planted"))
    assert not Path("/tmp", f"{MARKER}-planted").exists()


def test_output_is_drained_and_capped(graded):
    output = graded["records"]["hundred_megabytes_of_output"]["output"]
    assert f"{MARKER}-NOISE" in output
    assert len(output) <= 4000


def test_nobody_connected_to_the_test_listener(graded, listener):
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_no_process_started_by_a_submission_outlives_the_batch(graded):
    survivors = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if MARKER_SECONDS in command or MARKER in command:
                survivors.append(f"{entry.name}: {command}")
    assert survivors == []


def test_the_notebook_edits_are_noted(graded):
    notes = graded["records"]["edits_a_graded_cell"]["notes"]
    assert any("was edited; the original was used" in note for note in notes)
    magic = graded["records"]["magics_and_shell_escapes"]["notes"]
    assert any("!pip install torch was not run" in note for note in magic)
