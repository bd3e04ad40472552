"""The grader's command line: every bad option and input gets one plain sentence and exit
status 2 and leaves nothing behind; Ctrl-C stops cleanly and keeps what was graded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from tests.corpus.answers import CORRECT, WRONG
from tests.support.course import ROOT
from tests.support.notebooks import filled_release, notebook_for, write_submission

# The class Ctrl-C stops: with a second of each student's own time, the last 11 of them take
# two workers at least 5 s after the first five records appear, however fast the machine.
CLASS_SIZE = 16


def autograder(
    *arguments: str, timeout: float = 600, temp: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command with a temp folder of its own (`temp`, or a new one), which it must
    leave as it found it: empty."""
    with tempfile.TemporaryDirectory() as scratch:
        temp = temp or Path(scratch)
        done = subprocess.run(
            [sys.executable, "-m", "autograder", *arguments],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "TMPDIR": str(temp)},
        )
        left = [path.name for path in temp.iterdir()]
    assert not left, f"{arguments[0]} left {left} in the temp folder"
    return done


# A Unix socket's path holds 107 bytes, 32 of which multiprocessing's names take.
LONGEST_TEMP_FOLDER = 75


@pytest.fixture
def temp_folder() -> Iterator[Callable[[int], Path]]:
    """Makes a new empty folder whose path is as many bytes long as asked."""
    with tempfile.TemporaryDirectory() as base:

        def made(length: int) -> Path:
            folder = Path(base) / ("t" * (length - len(base) - 1))
            folder.mkdir()
            return folder

        yield made


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    write_submission(folder / "ada.ipynb", notebook_for(CORRECT[0]))
    return folder


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "error: --workers must be at least 1, not 0"),
        (["--workers", "-3"], "error: --workers must be at least 1, not -3"),
        (["--timeout", "0"], "error: --timeout must be a number of seconds greater than 0, not 0"),
        (
            ["--timeout", "-5"],
            "error: --timeout must be a number of seconds greater than 0, not -5",
        ),
        (
            ["--timeout", "nan"],
            "error: --timeout must be a number of seconds greater than 0, not nan",
        ),
    ],
)
def test_bad_options_get_one_sentence_exit_2_and_leave_nothing(tmp_path, folder, options, message):
    out = tmp_path / "out"
    done = autograder("grade", str(folder), "--out", str(out), *options)
    assert (done.returncode, done.stderr.strip()) == (2, message)
    assert not out.exists()


def test_bad_inputs_get_one_sentence_exit_2_and_leave_nothing(tmp_path):
    out = tmp_path / "out"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no notebooks here")
    text_file = tmp_path / "answers.txt"
    text_file.write_text("x")
    broken_zip = tmp_path / "download.zip"
    broken_zip.write_bytes(b"not a zip")
    for argument, message in [
        (tmp_path / "nowhere", f"error: {tmp_path / 'nowhere'} does not exist"),
        (
            empty,
            f"error: {empty} holds no submission to grade (no notebook, no nbgrader "
            "submitted/ folder, no LMS download); skipped empty/notes.txt: not a notebook",
        ),
        (text_file, f"error: {text_file} is not a notebook, a folder or a .zip"),
        (broken_zip, f"error: {broken_zip} is not a readable zip file (File is not a zip file)"),
    ]:
        done = autograder("grade", str(argument), "--out", str(out))
        assert (done.returncode, done.stderr.strip()) == (2, message)
        assert not out.exists()
    done = autograder("feedback", "--out", str(out))
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"error: {out} holds no graded records; run `grade --out {out}` first",
    )


def test_a_timeout_too_short_for_the_lessons_own_cells_is_a_grader_fault_named_in_one_line(
    tmp_path, folder
):
    """The lesson is read under the limits every student gets: when they stop it, the
    instructor is told which limits, not shown a traceback, and nothing is graded."""
    out = tmp_path / "out"
    commands = (["check", str(folder / "ada.ipynb")], ["grade", str(folder), "--out", str(out)])
    for command in commands:
        done = autograder(*command, "--timeout", "0.001")
        assert done.returncode == 1, done.stderr
        [line] = done.stderr.splitlines()
        assert line.startswith("grader fault: reading the lesson from the release failed ("), line
        assert "stopped at the limits every student gets" in line, line
        assert "0.001 s on the clock" in line and "--timeout" in line, line
        assert "points" not in done.stdout
    assert not (out / "records").exists() or not any((out / "records").iterdir())


def test_a_temp_folder_too_long_for_the_workers_socket_is_refused_in_one_line(
    tmp_path, folder, temp_folder
):
    """The judge workers start from a socket in the temp folder: a TMPDIR whose path leaves
    it no room is named, with what to do, rather than failing with a traceback."""
    too_long = temp_folder(LONGEST_TEMP_FOLDER + 1)
    done = autograder("grade", str(folder), "--out", str(tmp_path / "out"), temp=too_long)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        f"grader fault: the temp folder {too_long} has too long a path for the socket the "
        f"judge workers start from (at most {LONGEST_TEMP_FOLDER} bytes); set TMPDIR to a "
        "shorter one"
    ]


@pytest.mark.slow
def test_skipped_files_and_students_not_graded_normally_are_named(tmp_path):
    folder = tmp_path / "class"
    write_submission(folder / "ada.ipynb", notebook_for(CORRECT[0]))
    renamed = filled_release(
        "def mse(y, y_guess):\n    return ((y_guess - y) ** 2).mean()\n",
        "def step():\n    pass\n",
    )
    write_submission(folder / "bo.ipynb", renamed)
    (folder / "cy.ipynb").write_text("{broken")
    (folder / "helper.py").write_text("print('hi')")
    (folder / "notes.txt").write_text("notes")
    out = tmp_path / "out"
    done = autograder("grade", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "not graded normally:" in done.stdout
    assert (
        "bo: missing_function: mean_squared_error and update are not defined; keep the "
        "function names the notebook asks for"
    ) in done.stdout
    assert "cy: invalid: the file is not valid JSON" in done.stdout
    assert "skipped 2 files that are not a student's submission:" in done.stdout
    assert "class/helper.py: not a notebook" in done.stdout
    assert "class/notes.txt: not a notebook" in done.stdout


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_keeps_the_records_and_says_how_to_resume(tmp_path, temp_folder):
    folder = tmp_path / "class"
    answers = CORRECT + WRONG
    for number in range(CLASS_SIZE):
        notebook = notebook_for(answers[number % len(answers)])
        # a second of the student's own time each, so that the class takes longer to grade
        # than the first records take to appear, however fast the machine
        notebook.cells.insert(1, nbformat.v4.new_code_cell("import time\ntime.sleep(1)"))
        write_submission(folder / f"s{number:02d}.ipynb", notebook)
    out = tmp_path / "out"
    scratch = temp_folder(LONGEST_TEMP_FOLDER)  # the longest path the workers' socket allows
    batch = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # as a shell starts a foreground command: Ctrl-C at its default, even when the suite
        # itself runs where it is ignored (a background job of a script ignores it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    records = out / "records"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(records.glob("*.json"))) < 5:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGINT)  # what a terminal sends the whole foreground group
    stdout, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 130, stderr
    assert not list(scratch.iterdir()), "an interrupted run left files in its temp folder"
    assert "Traceback" not in stderr
    kept = len(list(records.glob("*.json")))
    assert 5 <= kept < CLASS_SIZE
    assert f"interrupted: {kept} of {CLASS_SIZE} submissions are recorded in {out}" in stderr
    assert "run the same command again to grade the rest" in stderr
    resumed = autograder("grade", str(folder), "--out", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert f"graded {CLASS_SIZE - kept} new and 0 again, skipped {kept}" in resumed.stdout
