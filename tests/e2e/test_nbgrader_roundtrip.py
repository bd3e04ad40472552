"""The whole nbgrader cycle on a copy of the course: release, submit, autograde, export.

nbgrader's totals must agree with `python -m autograder check` on the same submissions.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from tests.corpus.fidelity import CALLS
from tests.support.course import (
    ASSIGNMENT,
    NOTEBOOK,
    ROOT,
    SOURCE,
    cell,
    copy_course,
    generate_release,
    nbgrader,
    read,
    run,
)
from tests.support.notebooks import filled_release, notebook_for, write_submission

pytestmark = pytest.mark.slow

MAX_SCORE = 12.0
[DELETES_TORCH_AFTER_TRAINING] = [
    answer for answer in CALLS if answer.name == "deletes_a_name_the_training_used_after_it_ran"
]
STUDENTS = ("perfect", "blank", "sum_loss", "warns", "loss_unfinished", "del_torch_after_training")


def reference_answer(grade_id: str) -> str:
    """The instructor's answer cell from the source notebook, without the solution markers."""
    lines = cell(read(SOURCE), grade_id).source.splitlines()
    return "\n".join(
        line
        for line in lines
        if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line
    )


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"expected {old!r} in the reference answer"
    return text.replace(old, new)


def submissions(release: Path) -> dict[str, nbformat.NotebookNode]:
    loss, update = reference_answer("mean_squared_error"), reference_answer("update")
    noisy_update = replaced(
        update,
        "    y_hat = x @ a\n",
        '    import warnings\n\n    warnings.warn("noisy", UserWarning)\n    y_hat = x @ a\n',
    )
    return {
        "perfect": filled_release(loss, update, release),
        "blank": read(release),
        "sum_loss": filled_release(replaced(loss, ".mean()", ".sum()"), update, release),
        "warns": filled_release(loss, noisy_update, release),
        "loss_unfinished": filled_release(
            cell(read(release), "mean_squared_error").source, update, release
        ),
        # training ran before the name went: update() is asked with what training found
        "del_torch_after_training": notebook_for(DELETES_TORCH_AFTER_TRAINING, release),
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course copy with a fresh release and four submissions, autograded and exported."""
    root = copy_course(tmp_path_factory.mktemp("roundtrip") / "course")
    release = generate_release(root)
    for student, notebook in submissions(release).items():
        write_submission(root / "submitted" / student / ASSIGNMENT / NOTEBOOK, notebook)
    nbgrader("autograde", ASSIGNMENT, "--force", cwd=root, timeout=1200)
    nbgrader("export", "--to", "grades.csv", cwd=root)
    return root


@pytest.fixture(scope="module")
def exported(course: Path) -> dict[str, float]:
    with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {row["student_id"]: float(row["score"]) for row in rows}


def failed_graded_cells(course: Path, student: str) -> list[str]:
    """Graded cells of the autograded notebook that nbgrader would zero, and why."""
    notebook = read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK)
    failed = []
    for each in notebook.cells:
        if not each.metadata.get("nbgrader", {}).get("grade"):
            continue
        for output in each.get("outputs", []):
            if output.output_type == "error":
                failed.append(f"{each.id}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                failed.append(f"{each.id}: wrote to stderr: {output.text.strip()[:200]}")
    return failed


def test_source_validates(course: Path) -> None:
    notebook = course / "source" / ASSIGNMENT / NOTEBOOK
    result = nbgrader("validate", str(notebook), cwd=course)
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout


def test_release_fails_its_tests(course: Path) -> None:
    notebook = course / "release" / ASSIGNMENT / NOTEBOOK
    result = nbgrader("validate", "--invert", str(notebook), cwd=course)
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout


def test_every_student_is_exported(exported: dict[str, float]) -> None:
    assert sorted(exported) == sorted(STUDENTS)


def test_expected_totals(course: Path, exported: dict[str, float]) -> None:
    assert exported["perfect"] == MAX_SCORE, failed_graded_cells(course, "perfect")
    assert exported["blank"] == 0.0
    assert 0.0 < exported["sum_loss"] < MAX_SCORE
    # update() calls the unfinished loss, yet is written: it is graded on its own
    assert exported["loss_unfinished"] == 7.0, failed_graded_cells(course, "loss_unfinished")
    assert exported["del_torch_after_training"] == MAX_SCORE, failed_graded_cells(
        course, "del_torch_after_training"
    )


def test_warnings_do_not_cost_points(course: Path, exported: dict[str, float]) -> None:
    failed = failed_graded_cells(course, "warns")
    assert exported["warns"] == MAX_SCORE, "graded cells zeroed:\n" + "\n".join(failed)


@pytest.mark.parametrize("student", STUDENTS)
def test_nbgrader_agrees_with_the_cli(
    course: Path, exported: dict[str, float], student: str
) -> None:
    notebook = course / "submitted" / student / ASSIGNMENT / NOTEBOOK
    result = run(["autograder", "check", str(notebook), "--json"], cwd=ROOT)
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["max_score"] == MAX_SCORE
    assert verdict["score"] == pytest.approx(exported[student]), (
        f"{student}: nbgrader exported {exported[student]}, the CLI says {verdict['score']}"
    )
