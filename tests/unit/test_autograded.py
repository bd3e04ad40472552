"""The autograded notebooks the formgrader opens: the student's cells and the release's, each
graded cell with its results, and nothing of the submission that could mislead or attack."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.batch.store import RecordStore
from autograder.exercise import CATEGORIES, graded_cell
from autograder.judge.record import CheckResult, Record, Status
from autograder.outputs import autograded as autograded_module
from autograder.outputs.autograded import (
    AutogradedNotebooks,
    autograded_notebook,
    autograded_path,
    write_autograded_notebooks,
)
from tests.support.course import RELEASE, cell
from tests.support.notebooks import filled_release, write_submission

TRUSTED = json.loads(RELEASE.read_text(encoding="utf-8"))
TRUSTED_NOTEBOOK = nbformat.read(RELEASE, as_version=4)
SUM_LOSS = "def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).sum()\n"
UPDATE = cell(TRUSTED_NOTEBOOK, "update").source


def wrong_loss_record(student: str = "ana") -> Record:
    checks = (
        CheckResult("loss.value_on_lesson_data", "loss", 0, 1, False, "did you sum?"),
        CheckResult("update.one_step", "update", 3, 3, True, ""),
    )
    return Record(student, Status.GRADED, 12, "3 of 12 points", checks)


def submitted(notebook: Any) -> dict[str, Any]:
    return json.loads(nbformat.writes(notebook))


def by_grade_id(notebook: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]: c
        for c in notebook["cells"]
        if "nbgrader" in c["metadata"]
    }


def text_of(outputs: list[dict[str, Any]]) -> str:
    return "".join(output["text"] for output in outputs)


def test_the_students_answer_and_each_graded_cells_results_are_shown():
    notebook = autograded_notebook(
        submitted(filled_release(SUM_LOSS, UPDATE)), TRUSTED, wrong_loss_record()
    )
    cells = by_grade_id(notebook)
    assert cells["mean_squared_error"]["source"] == SUM_LOSS
    assert cells["mean_squared_error"]["metadata"]["nbgrader"]["solution"] is True
    loss_results = text_of(cells[graded_cell("loss")]["outputs"])
    assert "loss.value_on_lesson_data" in loss_results and "did you sum?" in loss_results
    assert "update.one_step" not in loss_results
    assert "update.one_step" in text_of(cells[graded_cell("update")]["outputs"])
    assert [c["id"] for c in notebook["cells"]] == [
        f"cell-{number}" for number in range(len(notebook["cells"]))
    ]
    nbformat.validate(nbformat.from_dict(notebook))


def test_nothing_the_student_saved_beyond_their_code_and_text_is_kept():
    notebook = filled_release(SUM_LOSS, UPDATE)
    notebook.cells[0].source = "edited introduction <img src=x onerror=alert(1)>"
    answer = cell(notebook, "mean_squared_error")
    answer.outputs = [
        nbformat.v4.new_output("display_data", {"text/html": "<script>savedOutput()</script>"})
    ]
    forged = nbformat.v4.new_code_cell("print('my own cell')")
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "loss_checks", "points": 99}
    notebook.cells.append(forged)
    notebook.cells.append(nbformat.v4.new_markdown_cell("<script>alert('hi')</script>"))
    cell(notebook, "data").source = "y = 'edited read-only cell'"
    written = autograded_notebook(submitted(notebook), TRUSTED, wrong_loss_record())
    document = json.dumps(written)
    assert "<img" not in document and "savedOutput" not in document  # nor the saved output
    assert by_grade_id(written)["intro"]["source"] == cell(TRUSTED_NOTEBOOK, "intro").source
    markdown = [c["source"] for c in written["cells"] if c["cell_type"] == "markdown"]
    assert "    <script>alert('hi')</script>" in markdown  # shown as code, never run
    assert "edited read-only cell" not in document
    assert by_grade_id(written)["data"]["source"] == cell(TRUSTED_NOTEBOOK, "data").source
    code = [c for c in written["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] for c in code if "nbgrader" not in c["metadata"])
    own = next(c for c in code if c["source"] == "print('my own cell')")
    assert own["metadata"] == {}
    points = [
        c["metadata"]["nbgrader"].get("points")
        for c in written["cells"]
        if c["metadata"].get("nbgrader", {}).get("grade_id") == "loss_checks"
    ]
    assert points == [5]


def test_a_deleted_graded_cell_still_shows_its_results():
    notebook = filled_release(SUM_LOSS, UPDATE)
    notebook.cells = [
        c
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") != graded_cell("loss")
    ]
    written = autograded_notebook(submitted(notebook), TRUSTED, wrong_loss_record())
    last = written["cells"][-1]
    assert last["metadata"]["nbgrader"]["grade_id"] == graded_cell("loss")
    assert "did you sum?" in text_of(last["outputs"])


def test_a_submission_without_a_notebook_gets_the_reason_and_every_graded_cell():
    record = Record("ana", Status.INVALID, 12, "the file is not valid JSON <here>")
    written = autograded_notebook("No notebook: <here>", TRUSTED, record)
    first, *graded = written["cells"]
    assert first["cell_type"] == "markdown" and first["source"] == "    No notebook: <here>"
    assert [c["metadata"]["nbgrader"]["grade_id"] for c in graded] == [
        graded_cell(category) for category in CATEGORIES
    ]
    assert all("invalid: the file is not valid JSON" in text_of(c["outputs"]) for c in graded)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    release = tmp_path / "release" / "gradient_descent" / "gradient_descent.ipynb"
    release.parent.mkdir(parents=True)
    shutil.copyfile(RELEASE, release)
    return tmp_path


def test_each_record_gets_its_notebook_in_nbgraders_autograded_folder(course: Path):
    folder = course / "submitted" / "ana" / "gradient_descent"
    write_submission(folder / "gradient_descent.ipynb", filled_release(SUM_LOSS, UPDATE))
    records = [wrong_loss_record("ana"), wrong_loss_record("../bo")]
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    assert write_autograded_notebooks(course, release, records) == 2
    ana = nbformat.read(autograded_path(course, "ana"), as_version=4)
    assert by_grade_id(ana)["mean_squared_error"]["source"] == SUM_LOSS
    assert autograded_path(course, "ana") == folder.parent.parent.parent / (
        "autograded/ana/gradient_descent/gradient_descent.ipynb"
    )
    bo = autograded_path(course, "../bo")
    assert bo.parent.parent.parent == course / "autograded"
    assert "no longer in submitted/" in nbformat.read(bo, as_version=4).cells[0].source


def test_a_notebook_changed_since_grading_is_not_shown_as_graded(course: Path):
    folder = course / "submitted" / "ana" / "gradient_descent"
    write_submission(folder / "gradient_descent.ipynb", filled_release(SUM_LOSS, UPDATE))
    record = wrong_loss_record("ana").with_(notebook_hash="0" * 64)
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    write_autograded_notebooks(course, release, [record])
    shown = nbformat.read(autograded_path(course, "ana"), as_version=4)
    assert "changed after it was graded" in shown.cells[0].source
    assert SUM_LOSS not in nbformat.writes(shown)


HOSTILE_HTML = (
    '<a href="javascript:alert(1)">click</a><div class="alert alert-success">All checks passed'
    "</div><img src=x onerror=alert(2)><script>alert(3)</script>"
)


def student_cells(written: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in written["cells"] if not c["metadata"]]


def test_every_student_cell_that_is_not_code_is_shown_as_text():
    notebook = submitted(filled_release(SUM_LOSS, UPDATE))
    notebook["cells"] += [
        {"cell_type": "raw", "metadata": {}, "source": HOSTILE_HTML},
        {"cell_type": "raw", "metadata": {"format": "text/html"}, "source": HOSTILE_HTML},
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "![x](attachment:x.svg) [link](javascript:alert(4))",
            "attachments": {"x.svg": {"image/svg+xml": "<svg onload=alert(5)></svg>"}},
        },
        {"cell_type": "heading", "metadata": {}, "source": HOSTILE_HTML, "level": 1},
    ]
    written = autograded_notebook(notebook, TRUSTED, wrong_loss_record())
    added = student_cells(written)[-4:]
    assert [c["cell_type"] for c in added] == ["markdown"] * 4
    assert all(
        line.startswith("    ") for c in added for line in c["source"].splitlines()
    )  # an indented block: code, shown as written
    assert "attachments" not in json.dumps(written) and "onload" not in json.dumps(written)
    assert [c for c in written["cells"] if c["cell_type"] == "raw"] == []
    nbformat.validate(nbformat.from_dict(written))


@pytest.mark.parametrize("kind", ["markdown", "raw"])
def test_an_answer_cell_of_text_is_shown_as_text(kind):
    """A release whose answer is written in a text cell (not this one's, but any course's)."""
    release = json.loads(json.dumps(TRUSTED))
    intro = next(c for c in release["cells"] if c["id"] == "intro")
    intro["cell_type"] = kind
    intro["metadata"]["nbgrader"] |= {"solution": True, "locked": False}
    notebook = submitted(filled_release(SUM_LOSS, UPDATE))
    answer = next(c for c in notebook["cells"] if c["id"] == "intro")
    answer["cell_type"], answer["source"] = kind, HOSTILE_HTML
    shown = by_grade_id(autograded_notebook(notebook, release, wrong_loss_record()))["intro"]
    assert shown["cell_type"] == "markdown" and shown["source"] == f"    {HOSTILE_HTML}"
    assert shown["metadata"]["nbgrader"]["solution"] is True


@pytest.mark.parametrize(
    ("student", "folder"),
    [
        ("ana.smith@uni.edu", "ana.smith@uni.edu"),
        ("José Núñez 50% #1?", "José Núñez 50% #1?"),
        ("caf\\xe9", "caf\udce9"),  # nbgrader's folder held a byte that is not UTF-8
        ("a\\\\b", "a\\b"),
        ("a/b", "a%2Fb"),  # no folder has this name: the kit names it
    ],
)
def test_the_autograded_notebook_is_in_the_folder_nbgrader_gave_the_student(student, folder):
    course = Path("/course")
    expected = course / "autograded" / folder / "gradient_descent" / "gradient_descent.ipynb"
    assert autograded_path(course, student) == expected


@pytest.mark.parametrize("noted", [False, True])
def test_a_notebook_is_written_again_only_when_what_it_shows_changed(course: Path, noted: bool):
    """Rewriting a class's notebooks costs what changed: one made from the same record,
    submission and release stays as it is (the same file); a change to any of the three,
    or a notebook edited since, writes it again. The same holds when what each notebook was
    made from is noted for the next run."""
    note = course / "made-from.json" if noted else None

    def write(records: list[Record]) -> int:
        return write_autograded_notebooks(course, release, records, None, note)

    folder = course / "submitted" / "ana" / "gradient_descent"
    submission = folder / "gradient_descent.ipynb"
    write_submission(submission, filled_release(SUM_LOSS, UPDATE))
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    record = wrong_loss_record("ana")
    target = autograded_path(course, "ana")
    assert write([record]) == 1
    first = target.stat().st_ino
    same = record.with_(output="printed", timings=None)  # what the student's code produced
    assert write([same]) == 0
    assert target.stat().st_ino == first

    regraded = record.with_(message="4 of 12 points")
    assert write([regraded]) == 1
    assert write([regraded]) == 0

    write_submission(submission, filled_release(SUM_LOSS + "# again\n", UPDATE))
    assert write([regraded]) == 1
    assert "changed after it was graded" not in target.read_text()  # no hash: shown as is

    release.write_text(release.read_text() + "\n")
    assert write([regraded]) == 1

    target.write_text("{}")
    assert write([regraded]) == 1
    assert write([regraded]) == 0


def test_a_noted_notebook_is_not_read_again_and_a_damaged_note_notes_nothing(
    course: Path, monkeypatch: pytest.MonkeyPatch
):
    write_submission(
        course / "submitted" / "ana" / "gradient_descent" / "gradient_descent.ipynb",
        filled_release(SUM_LOSS, UPDATE),
    )
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    note, record = course / "made-from.json", wrong_loss_record("ana")
    assert write_autograded_notebooks(course, release, [record], None, note) == 1
    with monkeypatch.context() as patch:
        patch.setattr(autograded_module, "_made_from_in", read_needlessly)
        assert write_autograded_notebooks(course, release, [record], None, note) == 0
    for damaged in ("[", "[1]", '{"ana": 3}', '{"ana": ["x", [1, 2, 3]]}'):
        note.write_text(damaged)
        assert write_autograded_notebooks(course, release, [record], None, note) == 0
        regraded = record.with_(message=damaged)
        assert write_autograded_notebooks(course, release, [regraded], None, note) == 1
        assert write_autograded_notebooks(course, release, [record], None, note) == 1


def read_needlessly(path: Path) -> None:
    raise AssertionError(f"{path} was read though the note says what it was made from")


PAST = [1_000_000_000.0]  # modification times long past: the files have settled


def settle(path: Path) -> None:
    PAST[0] += 1
    os.utime(path, (PAST[0], PAST[0]))


made_from_change = st.one_of(
    st.tuples(st.just("regraded"), st.sampled_from(("12 of 12 points", "4 of 12 points"))),
    st.tuples(st.just("resubmitted"), st.sampled_from((SUM_LOSS, SUM_LOSS + "# again\n"))),
    st.tuples(st.just("release"), st.sampled_from(("", "\n"))),
    st.tuples(st.just("notebook"), st.sampled_from(("delete", "edit"))),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(made_from_change, max_size=8))
def test_after_a_run_that_trusts_the_files_versions_a_full_run_finds_nothing_to_write(
    tmp_path_factory, changes
):
    """Whatever changed (the record, the submission, the release, the notebook itself), a run
    that skips the students none of whose files changed leaves every notebook as a run that
    compares what each shows would."""
    course = tmp_path_factory.mktemp("course")
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    release.parent.mkdir(parents=True)
    shutil.copyfile(RELEASE, release)
    settle(release)
    submission = course / "submitted" / "ana" / "gradient_descent" / "gradient_descent.ipynb"
    write_submission(submission, filled_release(SUM_LOSS, UPDATE))
    settle(submission)
    store, note = RecordStore(course / "out"), course / "out" / "made-from.json"
    store.write(wrong_loss_record("ana"))
    write_autograded_notebooks(course, release, [store.row("ana")], None, note, store.record_file)
    original = release.read_text()
    for kind, value in changes:
        if kind == "regraded":
            store.write(wrong_loss_record("ana").with_(message=value))
        elif kind == "resubmitted":
            write_submission(submission, filled_release(value, UPDATE))
            settle(submission)
        elif kind == "release":
            release.write_text(original + value)
            settle(release)
        elif value == "delete":
            autograded_path(course, "ana").unlink(missing_ok=True)
        elif autograded_path(course, "ana").exists():
            autograded_path(course, "ana").write_text("{}")
        rows = [store.row("ana")]
        write_autograded_notebooks(course, release, rows, None, note, store.record_file)
        assert write_autograded_notebooks(course, release, rows) == 0


def test_a_notebook_none_of_whose_files_changed_is_not_made_again(
    course: Path, monkeypatch: pytest.MonkeyPatch
):
    release = course / "release" / "gradient_descent" / "gradient_descent.ipynb"
    submission = course / "submitted" / "ana" / "gradient_descent" / "gradient_descent.ipynb"
    write_submission(submission, filled_release(SUM_LOSS, UPDATE))
    for path in (release, submission):
        settle(path)
    store, note = RecordStore(course / "out"), course / "out" / "made-from.json"
    store.write(wrong_loss_record("ana"))

    def write() -> int:
        return write_autograded_notebooks(
            course, release, [store.row("ana")], None, note, store.record_file
        )

    assert write() == 1
    with monkeypatch.context() as patch:
        patch.setattr(AutogradedNotebooks, "_made_from", made_needlessly)
        assert write() == 0
    store.write(wrong_loss_record("ana").with_(message="4 of 12 points"))
    assert write() == 1


def made_needlessly(*args: object) -> None:
    raise AssertionError("made again to compare though none of its files changed")
