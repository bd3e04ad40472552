"""The Gradescope bundle's members, and any record as Gradescope's results.json (no sandbox)."""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.exercise import ASSIGNMENT
from autograder.feedback.pages import feedback_sections
from autograder.feedback.plots import Plotter
from autograder.intake.submissions import submission_in
from autograder.judge.record import CheckResult, Mistake, Record, Status
from autograder.judge.status import invalid
from autograder.lesson import Lesson
from autograder.outputs.gradescope import GRADER_FAILED, gradescope_results
from autograder.outputs.gradescope_bundle import bundle_zip
from autograder.outputs.gradescope_run import BundleSettings
from autograder.text import printable
from tests.support.course import ROOT
from tests.support.gradescope import RESULTS, valid_results
from tests.support.lesson import lesson_in_process, shipped_reference
from tests.unit.test_properties import SETTINGS, records

REFERENCE = shipped_reference()
PLOTTER = Plotter(REFERENCE)
RELEASE = ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def zipped(settings: BundleSettings) -> bytes:
    return bundle_zip(settings, RELEASE, lesson_in_process())


@pytest.fixture(scope="module")
def bundle() -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(zipped(BundleSettings(seed=5, timeout=10.0))))


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(RESULTS)


def test_the_bundle_holds_the_scripts_the_kit_and_the_release_and_nothing_else(bundle):
    names = set(bundle.namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "autograder"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert set(tracked) <= names
    release = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    expected_others = {
        "setup.sh",
        "run_autograder",
        "gradescope.json",
        "lesson.json",
        "pyproject.toml",
    }
    assert names - set(tracked) == expected_others | {"README.md", release}
    assert not any(name.startswith(("tests/", "source/", "records/")) for name in names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    assert [name for name in names if name.endswith(".ipynb")] == [release]
    assert bundle.read(release) == (ROOT / release).read_bytes()


def test_the_bundle_carries_the_lesson_read_from_its_release(bundle):
    lesson = Lesson.from_json(json.loads(bundle.read("lesson.json")))
    assert lesson == lesson_in_process()
    assert lesson.release_hash == hashlib.sha256(RELEASE.read_bytes()).hexdigest()


def test_only_the_scripts_are_executable(bundle):
    modes = {member.filename: member.external_attr >> 16 for member in bundle.infolist()}
    assert modes.pop("setup.sh") == modes.pop("run_autograder") == 0o100755
    assert set(modes.values()) == {0o100644}


def test_setup_installs_the_pinned_cpu_torch_then_the_kit_from_the_bundle(bundle):
    setup = bundle.read("setup.sh").decode()
    assert setup.startswith("#!/usr/bin/env bash\n")
    assert "python3.11" in setup
    torch_line = next(line for line in setup.splitlines() if "torch==" in line)
    assert torch_line.split() == ["torch==2.13.0"]
    assert "download.pytorch.org/whl/cpu" in setup
    assert setup.index("torch==2.13.0") < setup.index('pip install --no-cache-dir "$here"')
    assert "python -m autograder.outputs.gradescope_run" in bundle.read("run_autograder").decode()


def test_the_settings_hold_the_seed_and_time_limit(bundle):
    assert json.loads(bundle.read("gradescope.json")) == {"seed": 5, "timeout": 10.0}


def test_settings_without_a_seed_are_read_back(tmp_path):
    path = tmp_path / "gradescope.json"
    path.write_text(json.dumps(BundleSettings(seed=None, timeout=7).to_json()))
    assert BundleSettings.read(path) == BundleSettings(seed=None, timeout=7.0)


def test_the_same_kit_and_settings_give_the_same_zip():
    settings = BundleSettings(seed=5, timeout=10.0)
    assert zipped(settings) == zipped(settings)


@pytest.mark.parametrize(
    "raw",
    [
        '{"seed": 1}',
        '{"seed": true, "timeout": 3}',
        '{"seed": "1", "timeout": 3}',
        '{"seed": 1, "timeout": 0}',
        "[]",
    ],
)
def test_damaged_settings_are_refused(tmp_path, raw):
    path = tmp_path / "gradescope.json"
    path.write_text(raw)
    with pytest.raises(ValueError):
        BundleSettings.read(path)


def notebook_file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(), path)
    return path


def test_the_notebook_named_after_the_assignment_is_chosen_among_several(tmp_path):
    chosen = notebook_file(tmp_path / f"{ASSIGNMENT}.ipynb")
    notebook_file(tmp_path / "scratch.ipynb")
    notebook_file(tmp_path / ".ipynb_checkpoints" / f"{ASSIGNMENT}-checkpoint.ipynb")
    notebook_file(tmp_path / "__MACOSX" / f"._{ASSIGNMENT}.ipynb")
    assert submission_in(tmp_path, "submission").notebook == chosen


def test_a_notebook_in_a_subfolder_is_found(tmp_path):
    chosen = notebook_file(tmp_path / "homework" / "mine.ipynb")
    (tmp_path / "notes.txt").write_text("hello")
    assert submission_in(tmp_path, "submission").notebook == chosen


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        (["answer.py"], "no notebook was submitted"),
        ([], "no notebook was submitted"),
        (["a.ipynb", "b.ipynb"], f"none clearly {ASSIGNMENT}.ipynb: a.ipynb, b.ipynb"),
    ],
)
def test_no_notebook_or_several_without_the_assignment_is_a_problem(tmp_path, files, problem):
    for name in files:
        (tmp_path / name).write_text("{}")
    submission = submission_in(tmp_path, "submission")
    assert submission.notebook is None
    assert problem in submission.problem


def record_with(status: Status, message: str, check_message: str) -> Record:
    mistake = Mistake("loss_sum", "<b>summed</b>", "divide by n")
    checks = (
        CheckResult("loss.value", "loss", 0.0, 1.0, False, check_message, mistake),
        CheckResult("update.step", "update", 1.0, 1.0, True, ""),
    )
    return Record("submission", status, 12.0, message, checks=checks, output="\x1b[2J<script>")


def results_of(record: Record) -> dict:
    feedback = feedback_sections(record, REFERENCE, PLOTTER, checks=False)
    return valid_results(json.dumps(gradescope_results(record, 3.4, feedback), allow_nan=False))


def test_each_check_is_a_test_with_its_category_as_tag_and_its_mistake():
    record = record_with(Status.GRADED, "1 of 2 points", "wrong value =1+1")
    document = results_of(record)
    assert document["score"] == 1.0 and document["execution_time"] == 3
    assert document["output_format"] == "html"
    loss, update = document["tests"]
    assert (loss["name"], loss["number"], loss["tags"], loss["status"]) == (
        "loss.value",
        "1.1",
        ["loss"],
        "failed",
    )
    assert loss["output"] == "wrong value =1+1\nLikely mistake: <b>summed</b>"
    assert loss["output_format"] == "text"
    assert (update["number"], update["score"], update["status"]) == ("2.1", 1.0, "passed")


def test_student_text_in_the_html_output_is_escaped():
    document = results_of(record_with(Status.GRADED, "<img src=x onerror=alert(1)>", ""))
    output = document["output"]
    assert "<script>" not in output and "<img src=x" not in output and "\x1b" not in output
    assert "&lt;script&gt;" in output and "&lt;b&gt;summed&lt;/b&gt;" in output


def test_a_record_the_grader_failed_on_scores_nothing_and_asks_to_contact_the_instructor():
    document = results_of(record_with(Status.GRADER_ERROR, "the grader failed", "x"))
    assert (document["score"], document["tests"], document["output"]) == (0.0, [], GRADER_FAILED)
    assert "contact your instructor" in GRADER_FAILED


@settings(SETTINGS, max_examples=40)
@given(records)
def test_any_record_converts_to_schema_valid_gradescope_json(record: Record):
    document = results_of(record)
    tests = document["tests"]
    if record.status == Status.GRADER_ERROR:
        assert (document["score"], tests) == (0.0, [])
        return
    assert document["score"] == record.score
    verdicts = [(c.id, c.points, c.max_points, c.passed) for c in record.checks]
    shown = [(t["name"], t["score"], t["max_score"], t["status"] == "passed") for t in tests]
    assert sorted(shown) == sorted(verdicts)
    assert len({test["number"] for test in tests}) == len(tests)


names = st.binary(min_size=1, max_size=200).filter(
    lambda name: b"/" not in name and b"\0" not in name and name not in (b".", b"..")
)


@SETTINGS
@given(st.lists(st.tuples(names, st.booleans()), max_size=5))
def test_any_files_handed_in_give_one_notebook_or_a_result_that_says_why_not(
    tmp_path_factory, files
):
    folder = tmp_path_factory.mktemp("submission")
    for name, is_notebook in files:
        with open(os.path.join(os.fsencode(folder), name + b".ipynb" * is_notebook), "wb") as out:
            out.write(b"{}")
    submission = submission_in(folder, "submission")
    if submission.notebook is not None:
        assert submission.notebook.suffix == ".ipynb" and submission.notebook.is_file()
        return
    document = results_of(invalid("submission", submission.problem, 12.0))
    assert (document["score"], document["tests"]) == (0.0, [])
    assert html.escape(printable(submission.problem)) in document["output"]
