"""The Gradescope bundle for real: built by the command, unpacked as Gradescope lays it out,
and its `run_autograder` run as a process on one submission at a time, sandbox and all."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from autograder.exercise import ASSIGNMENT
from autograder.feedback.markup import page
from autograder.judge.check import CHECKS_DIR
from autograder.judge.seeds import submission_seed
from autograder.outputs.gradescope import GRADER_FAILED
from tests.corpus.answers import CORRECT, WRONG
from tests.corpus.hostile import CASES
from tests.support.browser import ALL_IMAGES_LOADED, DESKTOP
from tests.support.course import ROOT, SOURCE, kernel_env
from tests.support.gradescope import unpack, valid_results
from tests.support.inprocess import SEED, records_for
from tests.support.notebooks import filled_release, notebook_for
from tests.support.secrets import leaked

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
MARKER = f"gradescope{uuid.uuid4().hex[:10]}"


def hostile(name: str):
    return next(case for case in CASES if case.name == name)


def wrong(name: str):
    return next(answer for answer in WRONG if answer.name == name)


def notebook_bytes(notebook: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(notebook).encode()


def built(out: Path, *options: str) -> Path:
    """The bundle, built by the command as an instructor runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope", "--out", str(out), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    return out


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A bundle with a fixed seed: the hidden inputs are known to the leak checks."""
    out = tmp_path_factory.mktemp("bundle") / "autograder.zip"
    return built(out, "--seed", str(SEED), "--timeout", "10")


def gradescope_root(bundle: Path, folder: Path, files: dict[str, bytes]) -> Path:
    root = unpack(bundle, folder / "autograder")
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def run_autograder(root: Path) -> tuple[subprocess.CompletedProcess[str], dict, str]:
    """Run the bundled script as Gradescope does, with the bundle's own copy of the kit."""
    env = dict(os.environ)
    env["GRADESCOPE_ROOT"] = str(root)
    env["PYTHONPATH"] = str(root / "source")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    done = subprocess.run(
        [str(root / "source" / "run_autograder")],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    text = (root / "results" / "results.json").read_text(encoding="utf-8")
    return done, valid_results(text), text


def strings(value: object) -> list[str]:
    """Every text in a JSON document, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def submission_seed_of(seed: int, files: dict[str, bytes]) -> int:
    """The hidden inputs' seed the submission of `files` is graded with."""
    notebook = files.get(NOTEBOOK, b"")
    return submission_seed(seed, hashlib.sha256(notebook).hexdigest())


def graded(bundle: Path, tmp_path: Path, files: dict[str, bytes]) -> tuple[dict, str]:
    done, results, text = run_autograder(gradescope_root(bundle, tmp_path, files))
    assert done.returncode == 0, done.stderr
    assert leaked("\n".join(strings(results)), submission_seed_of(SEED, files)) == []
    return results, text


@pytest.mark.slow
def test_a_correct_submission_gets_every_point_with_its_feedback(bundle, tmp_path):
    results, _ = graded(bundle, tmp_path, {NOTEBOOK: notebook_bytes(notebook_for(CORRECT[0]))})
    assert results["score"] == 12.0
    assert len(results["tests"]) == 11
    assert all(test["status"] == "passed" for test in results["tests"])
    assert {test["tags"][0] for test in results["tests"]} == {
        "loss",
        "update",
        "zero_grad",
        "convergence",
    }
    assert results["output_format"] == "html"
    assert "Every check passed" in results["output"]
    assert results["output"].count('<img src="data:image/png;base64,') >= 2


@pytest.mark.slow
def test_a_wrong_submission_loses_exactly_its_points_and_is_told_its_mistake(bundle, tmp_path):
    answer = wrong("loss_sum")
    [expected] = records_for([answer])
    notebook = notebook_bytes(notebook_for(answer))
    results, _ = graded(bundle, tmp_path, {NOTEBOOK: notebook, "scratch.ipynb": b"{}"})
    assert results["score"] == expected.score < 12.0
    failed = {test["tags"][0] for test in results["tests"] if test["status"] == "failed"}
    assert failed == answer.loses
    [(_, mistake)] = expected.mistakes
    assert mistake.key == answer.mistake
    assert "Likely mistake" in results["output"] and mistake.title in results["output"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({NOTEBOOK: hostile("invalid_json").file}, "the file is not valid JSON"),
        ({"answer.py": b"def update(): pass\n"}, "no notebook was submitted"),
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "a.ipynb, b.ipynb"),
    ],
    ids=["not_json", "not_a_notebook", "several_notebooks"],
)
def test_a_broken_submission_scores_nothing_and_says_what_to_hand_in(bundle, tmp_path, files, said):
    results, _ = graded(bundle, tmp_path, files)
    assert (results["score"], results["tests"]) == (0, [])
    assert said in results["output"]
    assert f"Hand in one notebook, {ASSIGNMENT}.ipynb" in results["output"]


@pytest.mark.slow
def test_a_hostile_submission_reads_nothing_and_its_escapes_are_neutralised(bundle, tmp_path):
    reader, escapes = (
        hostile("reads_hidden_checks_and_other_students"),
        hostile("escape_sequences_in_errors"),
    )
    root = tmp_path / "autograder"
    secrets = [
        root / "source" / "autograder" / "checks" / "test_loss.py",
        root / "source" / "gradescope.json",
        root / "submission" / NOTEBOOK,
        CHECKS_DIR / "test_loss.py",
        SOURCE,
        Path("/etc/passwd"),  # the one file the student's process has: the code did run
    ]
    values = {"marker": MARKER, "secrets": repr([str(path) for path in secrets])}
    loss = reader.loss.format(**values) + "\n" + escapes.loss
    assert (reader.score, escapes.score) == (12.0, 7.0)
    notebook = notebook_bytes(filled_release(loss, reader.update))
    results, text = graded(bundle, tmp_path, {NOTEBOOK: notebook})
    assert results["score"] == escapes.score
    assert text.count(f"{MARKER}-LEAKED") == text.count(f"{MARKER}-SEES") == 1
    assert f"{MARKER}-LEAKED /etc/passwd nobody:x:65534" in results["output"]
    shown = "".join(strings(results))
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "\\x1b[2J\\x1b[H\\x1b[32mALL CHECKS PASSED" in shown  # the escapes written out


@pytest.mark.slow
def test_a_grader_that_fails_still_writes_results_and_exits_non_zero(bundle, tmp_path):
    root = gradescope_root(bundle, tmp_path, {NOTEBOOK: notebook_bytes(notebook_for(CORRECT[0]))})
    (root / "source" / "gradescope.json").unlink()
    done, results, _ = run_autograder(root)
    assert done.returncode != 0
    assert (results["score"], results["tests"], results["output"]) == (0, [], GRADER_FAILED)
    assert "gradescope.json" in done.stderr


@pytest.mark.slow
def test_without_a_seed_each_submission_is_asked_new_questions(tmp_path):
    fresh = built(tmp_path / "autograder.zip")
    notebook = {NOTEBOOK: notebook_bytes(notebook_for(CORRECT[0]))}
    seeds = []
    for attempt in ("first", "second"):
        done, results, _ = run_autograder(gradescope_root(fresh, tmp_path / attempt, notebook))
        assert done.returncode == 0, done.stderr
        [seed] = re.findall(r"seed of the hidden inputs: (\d+)", done.stderr)
        assert results["score"] == 12.0
        assert leaked("\n".join(strings(results)), submission_seed_of(int(seed), notebook)) == []
        seeds.append(seed)
    assert seeds[0] != seeds[1]


@pytest.mark.parametrize(
    ("options", "said"),
    [(["--out", "a.zip", "--timeout", "0"], "--timeout"), (["--out", "."], "is a folder")],
)
def test_a_bad_option_is_one_sentence_and_exit_status_2(tmp_path, options, said):
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "gradescope", *options],
        cwd=tmp_path,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and said in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_html_output_shows_its_pictures_in_a_browser(bundle, tmp_path, tab):
    """Gradescope shows the html output inside its own page: here, inside the kit's page shell."""
    answer = wrong("loss_sum")
    results, _ = graded(bundle, tmp_path, {NOTEBOOK: notebook_bytes(notebook_for(answer))})
    shown = tmp_path / "gradescope-result.html"
    shown.write_text(page("Gradescope output", results["output"]), encoding="utf-8")
    tab.open(shown.as_uri(), DESKTOP)
    assert tab.evaluate("document.images.length") == 4  # fit, loss curves, loss value
    assert tab.evaluate(ALL_IMAGES_LOADED)
    text = tab.evaluate("document.body.innerText")
    assert "9 / 12" in text and "Likely mistake: summed instead of averaged" in text
    tab.screenshot(tmp_path / "gradescope-result.png")
    assert (tmp_path / "gradescope-result.png").read_bytes().startswith(b"\x89PNG")
