"""The batch grader end to end: a real nbgrader course, a kill -9 mid-batch, zips and folders."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.atomic import SETTLING_SECONDS
from autograder.exercise import CATEGORIES, graded_cell
from autograder.judge.hidden_inputs import draw
from autograder.outputs.gradebook import open_gradebook
from tests.corpus.answers import CORRECT, WRONG
from tests.support.course import ASSIGNMENT, NOTEBOOK, ROOT, copy_released, nbgrader
from tests.support.lesson import shipped_reference
from tests.support.notebooks import notebook_for, write_submission
from tests.support.secrets import leaked

pytestmark = pytest.mark.slow
ANSWERS = CORRECT + WRONG
STUDENTS_KILLED = 30  # a class killed part-way: enough to be killed with records on both sides
NOTEBOOK_PAGE = f"{ASSIGNMENT}.html"  # nbgrader names a feedback page after its notebook


def grade(*arguments: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def scores(out: Path) -> dict[str, float]:
    rows = json.loads((out / "results.json").read_text())["submissions"]
    assert len(rows) == len({row["student"] for row in rows}), "a student has two rows"
    return {row["student"]: row["score"] for row in rows}


@pytest.fixture(scope="module")
def course(tmp_path_factory, released_course) -> Path:
    root = tmp_path_factory.mktemp("batch") / "course"
    release = copy_released(released_course, root)
    for number, answer in enumerate(ANSWERS):
        notebook = notebook_for(answer, release)
        folder = root / "submitted" / answer.name / ASSIGNMENT
        write_submission(folder / NOTEBOOK, notebook)
        (folder / "timestamp.txt").write_text(f"2026-11-{10 + number % 20:02d} 09:30:00.000000 UTC")
    return root


@pytest.fixture(scope="module")
def first_grading(course: Path) -> subprocess.CompletedProcess[str]:
    """The class graded into `course/grading`: what the run said."""
    done = grade(str(course / "submitted"), "--out", str(course / "grading"))
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def graded_course(course: Path, first_grading: subprocess.CompletedProcess[str]) -> Path:
    return course / "grading"


@pytest.fixture(scope="module")
def in_process_scores(corpus_records) -> dict[str, float]:
    """Each answer's score from the checks run in a test process: no sandbox, no batch."""
    return {
        answer.name: sum(check.points for check in corpus_records[answer.name].checks)
        for answer in ANSWERS
    }


def test_every_answer_gets_the_score_the_in_process_checks_give(
    graded_course: Path, in_process_scores: dict[str, float]
):
    assert scores(graded_course) == in_process_scores


def test_nbgrader_export_lists_the_kits_scores_and_submission_times(
    course: Path, graded_course: Path
):
    nbgrader("export", "--to", "exported.csv", cwd=course)
    with (course / "exported.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert {row["student_id"]: float(row["score"]) for row in rows} == scores(graded_course)
    assert all(row["timestamp"].startswith("2026-11-") for row in rows), rows[0]
    results = json.loads((graded_course / "results.json").read_text())
    assert all(row["submitted_at"].startswith("2026-11-") for row in results["submissions"])


def test_grades_csv_has_one_row_per_student_and_a_column_per_check(graded_course: Path):
    with (graded_course / "grades.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(ANSWERS)
    assert (
        "loss.value_on_lesson_data" in rows[0]
        and "convergence.reaches_least_squares_fit" in rows[0]
    )


def test_feedback_lands_where_nbgrader_puts_it(course: Path, graded_course: Path):
    for answer in ANSWERS:
        page = course / "feedback" / answer.name / ASSIGNMENT / NOTEBOOK_PAGE
        assert page.is_file(), page
    assert (graded_course / "report.html").is_file()


def test_a_batch_killed_with_sigkill_resumes_to_the_same_grades(tmp_path: Path):
    folder = tmp_path / "class"
    for number in range(STUDENTS_KILLED):
        answer = ANSWERS[number % len(ANSWERS)]
        write_submission(
            folder / f"s{number:02d}-{answer.name}.ipynb",
            notebook_for(answer),
        )
    clean, interrupted = tmp_path / "clean", tmp_path / "interrupted"
    assert grade(str(folder), "--out", str(clean)).returncode == 0

    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(interrupted)]
    batch = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    records = interrupted / "records"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(records.glob("*.json"))) < 10:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGKILL)
    batch.wait()
    partial = len(list(records.glob("*.json")))
    assert 10 <= partial < STUDENTS_KILLED, "the batch should have been killed part-way"

    resumed = grade(str(folder), "--out", str(interrupted))
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped {partial} unchanged" in resumed.stdout
    assert scores(interrupted) == scores(clean)
    assert len(list(records.glob("*.json"))) == STUDENTS_KILLED


def test_a_zip_from_an_lms_and_single_notebooks_are_graded(tmp_path: Path):
    reference = ANSWERS[0]
    mistake = next(answer for answer in WRONG if answer.name == "loss_sum")
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for name, answer in (("ada", reference), ("ben", mistake)):
            text = json.dumps(notebook_for(answer))
            bundle.writestr(f"download/{name}.ipynb", text)
    single = write_submission(tmp_path / "cleo.ipynb", notebook_for(reference))
    out = tmp_path / "out"
    done = grade(str(archive), str(single), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert scores(out) == {"ada": 12.0, "ben": 9.0, "cleo": 12.0}


def test_usage_errors_exit_2_without_grading(tmp_path: Path):
    missing = grade(str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as bundle:
        bundle.writestr("../escape.ipynb", "{}")
    escaped = grade(str(evil), "--out", str(tmp_path / "out"))
    assert escaped.returncode == 2, escaped.stderr
    assert "holds no submission to grade" in escaped.stderr
    assert "skipped evil.zip/../escape.ipynb: its path leaves" in escaped.stderr
    assert not (tmp_path / "escape.ipynb").exists() and not (tmp_path / "out").exists()


def _children(parent: int, command_part: bytes) -> list[int]:
    """Pids of the processes `parent` started whose command line holds `command_part`."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and command_part in command:
            children.append(int(entry.name))
    return children


def test_a_judge_worker_killed_mid_batch_loses_no_student(
    tmp_path: Path, in_process_scores: dict[str, float]
):
    folder = tmp_path / "class"
    for number in range(STUDENTS_KILLED):
        answer = ANSWERS[number % len(ANSWERS)]
        write_submission(folder / f"s{number:02d}-{answer.name}.ipynb", notebook_for(answer))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out)]
    batch = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "records").glob("*.json"))) < 5:
        time.sleep(0.05)
    forked_from = _children(batch.pid, b"multiprocessing.forkserver")
    assert len(forked_from) == 1, "judge workers come from one process that loaded the judge"
    victims = _children(forked_from[0], b"")
    assert victims, "the batch should have judge workers running"
    server = b"autograder.sandbox.server"  # one, which the workers share
    assert len(_children(batch.pid, server)) == 1
    assert not [pid for worker in victims for pid in _children(worker, server)]
    os.kill(victims[0], signal.SIGKILL)
    stdout, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 0, stderr.decode()
    graded = scores(out)
    assert len(graded) == STUDENTS_KILLED
    assert graded == {student: in_process_scores[student.split("-", 1)[1]] for student in graded}


def test_the_summary_names_what_happened_and_where_everything_is(
    course, graded_course, first_grading
):
    summary = first_grading.stdout
    assert f"graded {len(ANSWERS)} new and 0 again" in summary
    not_graded = [answer.name for answer in ANSWERS if answer.status != "graded"]
    if not_graded:  # answers whose functions a Jupyter kernel never defines
        listed = summary.split("not graded normally:")[1].split("isolation:")[0]
        assert sorted(line.split(":")[0].strip() for line in listed.strip().splitlines()) == sorted(
            not_graded
        )
    for label in ("results", "grades", "nbgrader gradebook", "feedback pages", "class report"):
        assert f"{label}: " in summary
    assert str(course / "feedback") in summary and str(graded_course / "report.html") in summary
    # progress is a log, not a bar
    assert f"grading: {len(ANSWERS)} of {len(ANSWERS)} (100%)" in first_grading.stderr


def test_feedback_rebuilds_in_the_same_place_with_the_recorded_time(course, graded_course):
    page = course / "feedback" / "reference" / ASSIGNMENT / NOTEBOOK_PAGE
    page.unlink()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "feedback", "--out", str(graded_course)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert page.is_file()
    report = (graded_course / "report.html").read_text(encoding="utf-8")
    assert "graded in " in report and "not recorded" not in report
    assert "<table class='sortable'>" in report
    assert "href='../feedback/reference/gradient_descent/gradient_descent.html'" in report


def test_a_changed_notebook_is_graded_again_and_nothing_else(course, graded_course):
    unchanged = grade(str(course / "submitted"), "--out", str(graded_course))
    assert f"graded 0 new and 0 again, skipped {len(ANSWERS)}" in unchanged.stdout
    changed = WRONG[0]
    before = json.loads((graded_course / "records" / f"{changed.name}.json").read_text())
    notebook = notebook_for(next(a for a in ANSWERS if a.name == "reference"))
    write_submission(course / "submitted" / changed.name / ASSIGNMENT / NOTEBOOK, notebook)
    again = grade(str(course / "submitted"), "--out", str(graded_course))
    assert again.returncode == 0, again.stderr
    assert f"graded 0 new and 1 again, skipped {len(ANSWERS) - 1} unchanged" in again.stdout
    record = json.loads((graded_course / "records" / f"{changed.name}.json").read_text())
    assert record["regraded"] == "the notebook changed since it was last graded"
    assert record["seed"] != before["seed"]  # a changed notebook is asked new questions
    assert scores(graded_course)[changed.name] == 12.0
    page = course / "feedback" / changed.name / ASSIGNMENT / NOTEBOOK_PAGE
    assert "Graded again: the notebook changed since it was last graded." in page.read_text()


def files_under(root: Path) -> dict[Path, tuple[int, int, int]]:
    """Every file under `root` with its inode, modification time and size."""
    return {
        path: (found.st_ino, found.st_mtime_ns, found.st_size)
        for path in root.rglob("*")
        if path.is_file() and (found := path.stat())
    }


def test_a_run_after_no_change_writes_nothing_and_one_after_a_loss_restores_it(
    course, graded_course
):
    time.sleep(SETTLING_SECONDS)  # what earlier tests handed in has settled
    first = grade(str(course / "submitted"), "--out", str(graded_course))
    assert first.returncode == 0, first.stderr
    before = files_under(course)
    again = grade(str(course / "submitted"), "--out", str(graded_course))
    assert again.returncode == 0, again.stderr
    after = files_under(course)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed == {graded_course / "run.json"}
    assert without_times(again.stdout) == without_times(first.stdout)
    student = WRONG[0].name
    lost = [
        graded_course / "results.json",
        graded_course / "report.html",
        course / "autograded" / student / ASSIGNMENT / NOTEBOOK,
        course / "feedback" / student / ASSIGNMENT / "timestamp.txt",
    ]
    for path in lost:  # one at a time: each alone must make the run publish again
        kept = path.read_bytes()
        path.unlink()
        restored = grade(str(course / "submitted"), "--out", str(graded_course))
        assert restored.returncode == 0, restored.stderr
        assert path.is_file(), path
        if path.name != "report.html":  # the report says how long this run took
            assert path.read_bytes() == kept
        assert without_times(restored.stdout) == without_times(first.stdout)


def test_a_run_that_grades_one_student_restores_what_another_lost_and_no_one_elses_files(
    course, graded_course
):
    time.sleep(SETTLING_SECONDS)  # what earlier tests handed in has settled
    settled = grade(str(course / "submitted"), "--out", str(graded_course))
    assert settled.returncode == 0, settled.stderr
    graded, lost_files = WRONG[1].name, WRONG[2].name
    lost = [
        course / "autograded" / lost_files / ASSIGNMENT / NOTEBOOK,
        course / "feedback" / lost_files / ASSIGNMENT / "timestamp.txt",
    ]
    kept = [path.read_bytes() for path in lost]
    for path in lost:
        path.unlink()
    notebook = notebook_for(next(a for a in ANSWERS if a.name == "reference"))
    write_submission(course / "submitted" / graded / ASSIGNMENT / NOTEBOOK, notebook)
    others = {
        path: seen
        for step in ("autograded", "feedback")
        for path, seen in files_under(course / step).items()
        if path.relative_to(course / step).parts[0] not in (graded, lost_files)
    }
    again = grade(str(course / "submitted"), "--out", str(graded_course))
    assert again.returncode == 0, again.stderr
    assert "graded 0 new and 1 again" in again.stdout
    assert [path.read_bytes() for path in lost] == kept
    autograded = course / "autograded" / graded / ASSIGNMENT / NOTEBOOK
    assert json.loads(autograded.read_text())["cells"]  # made again from the new record
    assert {path: files_under(path.parent)[path] for path in others} == others
    assert scores(graded_course)[graded] == 12.0


def without_times(summary: str) -> str:
    return re.sub(r"in [0-9.]+ s$", "", summary, flags=re.MULTILINE)


def test_what_the_code_prints_while_it_answers_hidden_questions_reaches_no_page(
    course, graded_course
):
    """The loss prints what it is asked: in the notebook's own cells (the lesson's points)
    that is shown; while it answers the hidden questions, nothing of it is kept."""
    record = json.loads(
        (graded_course / "records" / "loss_prints_what_it_is_asked.json").read_text()
    )
    assert f"asked about {shipped_reference().lesson.n} " in record["output"]
    hidden = {len(y) for y, _ in draw(record["seed"], shipped_reference()).loss_pairs}
    assert not [length for length in hidden if f"asked about {length} " in record["output"]]
    page = course / "feedback" / "loss_prints_what_it_is_asked" / ASSIGNMENT / NOTEBOOK_PAGE
    assert leaked(page.read_text(encoding="utf-8"), record["seed"]) == []


def test_what_a_handler_bound_to_a_cells_stream_writes_while_answering_reaches_no_page(
    course, graded_course
):
    """A logging handler keeps the stream its cell printed to; what the update() it logs
    from writes while it answers the hidden questions goes nowhere, as a kernel sends it to
    no cell of the notebook. What it logged while the notebook's own cells ran is shown."""
    student = "update_logs_where_each_run_starts"
    record = json.loads((graded_course / "records" / f"{student}.json").read_text())
    assert "a run from [-1.0, 1.0]" in record["output"]  # the quick test's and the training's
    page = course / "feedback" / student / ASSIGNMENT / NOTEBOOK_PAGE
    assert leaked(page.read_text(encoding="utf-8"), record["seed"]) == []
    assert leaked(record["output"], record["seed"]) == []


def test_a_student_the_grader_failed_on_is_graded_again_by_the_next_run(
    tmp_path: Path, released_course: Path
):
    """A grader error is no verdict: once what failed is fixed, the next run grades that
    student again without --force, and no one else, and the gradebook holds their score."""
    root = tmp_path / "course"
    release = copy_released(released_course, root)
    for student in ("ana", "ben"):
        notebook = notebook_for(CORRECT[0], release)
        write_submission(root / "submitted" / student / ASSIGNMENT / NOTEBOOK, notebook)
    blocked = root / "feedback" / "ana" / ASSIGNMENT / NOTEBOOK_PAGE
    blocked.mkdir(parents=True)  # a folder where ana's page goes: writing it fails
    out = root / "grading"
    first = grade(str(root / "submitted"), "--out", str(out))
    assert first.returncode == 1, first.stderr
    failed = json.loads((out / "records" / "ana.json").read_text())
    assert failed["status"] == "grader_error"
    assert "writing the feedback page" in failed["message"]
    assert "the next run grades it again" in failed["message"]
    blocked.rmdir()
    again = grade(str(root / "submitted"), "--out", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "graded 0 new and 1 again, skipped 1 unchanged" in again.stdout
    record = json.loads((out / "records" / "ana.json").read_text())
    assert (record["status"], record["score"]) == ("graded", 12.0)
    assert record["regraded"] == "the grader failed on it when it was last graded"
    assert scores(out) == {"ana": 12.0, "ben": 12.0}
    assert "Graded again: the grader failed on it when it was last graded." in blocked.read_text()
    with open_gradebook(root) as gradebook:
        for category in CATEGORIES:
            cell = gradebook.find_grade(graded_cell(category), ASSIGNMENT, ASSIGNMENT, "ana")
            assert cell.auto_score is not None and not cell.needs_manual_grade, category
    settled = grade(str(root / "submitted"), "--out", str(out))
    assert "graded 0 new and 0 again, skipped 2 unchanged" in settled.stdout
