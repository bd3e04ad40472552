"""The grading service on a real nbgrader exchange in a temporary root: students run the real
`nbgrader submit`, the service runs as a real subprocess, and their real `nbgrader
fetch_feedback` brings back the kit's page with their score, seconds later; a resubmission
replaces the score (a grader's manual score stays), a late one is marked late, one the
grader fails on gets a page that says so while the service goes on. A service
killed with SIGKILL in the middle of a burst and started again leaves every student exactly
one grade: their latest notebook's, as grading it alone gives. A service grading on a real
Dask cluster does the same, and gives up on a student whose grading kills its workers.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest
from distributed import Client

from autograder.exercise import graded_cell
from autograder.intake.ids import file_name
from autograder.intake.times import parse_time
from autograder.service.exchange import parse_name
from tests.corpus.answers import CORRECT, WRONG
from tests.e2e.test_cluster import local_cluster
from tests.support.course import ASSIGNMENT, NOTEBOOK, copy_released, run
from tests.support.dask_faults import ExitOnStudent
from tests.support.exchange import (
    alive,
    fetched_pages,
    health,
    released_with_exchange,
    service,
    submit,
    submit_in_process,
    wait_for,
)
from tests.support.notebooks import notebook_for

pytestmark = pytest.mark.slow

STUDENT = "José.Núñez@uni.edu 50% #1?"
LATE = "Zoë Late"
BLOCKED = "blocked"
LOSS_SUM = next(answer for answer in WRONG if answer.name == "loss_sum")
FEEDBACK_SECONDS = 60  # generous: the log line gives the real figure
MANUAL = 1.5  # points a grader gives one cell by hand in the formgrader


def score_on(page: Path) -> str:
    found = re.search(r'<p class="score">([^<]*)</p>', page.read_text(encoding="utf-8"))
    assert found, page
    return found.group(1)


def record(course: Path, student: str) -> dict:
    path = course / "grading" / "records" / f"{file_name(student)}.json"
    return json.loads(path.read_text())


def released_seconds(line: str) -> float:
    found = re.search(r"released ([0-9.]+) s after submission", line)
    assert found, line
    return float(found.group(1))


def gradebook_of(course: Path):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def test_a_students_fetch_feedback_shows_the_kits_page_seconds_after_submit(
    tmp_path: Path, released_course: Path
):
    course = released_with_exchange(released_course, tmp_path)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    with service(course, tmp_path) as served:
        submit(tmp_path, STUDENT, notebook_for(CORRECT[0], release))
        submitted = time.monotonic()
        [page] = wait_for(lambda: fetched_pages(tmp_path, STUDENT), FEEDBACK_SECONDS).values()
        fetched = time.monotonic() - submitted
        assert score_on(page) == "12 / 12"
        assert f"feedback for {STUDENT}" in page.read_text(encoding="utf-8")
        [line] = served.graded_lines()
        print(
            f"submission to released feedback: {released_seconds(line):.2f} s; "
            f"fetch_feedback had it {fetched:.2f} s after submit returned"
        )
        assert line.startswith(f"{STUDENT}: 12/12 graded;")

        # a grader scores one cell by hand; the student then submits again
        with gradebook_of(course) as gradebook:
            grade = gradebook.find_grade(graded_cell("loss"), ASSIGNMENT, ASSIGNMENT, STUDENT)
            grade.manual_score = MANUAL
            gradebook.db.commit()
        submit(tmp_path, STUDENT, notebook_for(LOSS_SUM, release))
        pages = wait_for(lambda: _two(fetched_pages(tmp_path, STUDENT)), FEEDBACK_SECONDS)
        again = record(course, STUDENT)
        assert 0 < again["score"] < 12
        assert score_on(pages[max(pages)]) == f"{again['score']:g} / 12"
        assert score_on(pages[min(pages)]) == "12 / 12"  # the first page is still theirs
        with gradebook_of(course) as gradebook:
            [only] = gradebook.assignment_submissions(ASSIGNMENT)
            assert only.student.id == STUDENT
            grade = gradebook.find_grade(graded_cell("loss"), ASSIGNMENT, ASSIGNMENT, STUDENT)
            assert grade.manual_score == MANUAL and grade.score == MANUAL
            update = gradebook.find_grade(graded_cell("update"), ASSIGNMENT, ASSIGNMENT, STUDENT)
            assert update.manual_score is None and update.auto_score is not None

        # the due date passes; a student submits after it
        with gradebook_of(course) as gradebook:
            gradebook.update_or_create_assignment(ASSIGNMENT, duedate=datetime(2020, 1, 1))
        submit(tmp_path, LATE, notebook_for(CORRECT[1], release))
        [late] = wait_for(lambda: fetched_pages(tmp_path, LATE), FEEDBACK_SECONDS).values()
        assert score_on(late) == "12 / 12"
        assert "Submitted late" in late.read_text(encoding="utf-8")
        assert record(course, LATE)["late"] is True and record(course, STUDENT)["late"] is False
        with gradebook_of(course) as gradebook:
            assert gradebook.find_submission(ASSIGNMENT, LATE).total_seconds_late > 0

        # a submission the grader cannot collect: a grader error, and the service goes on
        (course / "submitted" / BLOCKED).write_text("a file where the student's folder goes")
        submit(tmp_path, BLOCKED, notebook_for(CORRECT[0], release))
        [failed] = wait_for(lambda: fetched_pages(tmp_path, BLOCKED), FEEDBACK_SECONDS).values()
        assert "The grader itself failed" in failed.read_text(encoding="utf-8")
        assert record(course, BLOCKED)["status"] == "grader_error"
        assert "collecting the submission" in health(course / "grading")["last_error"]
        assert served.process.poll() is None
        assert served.stop() == 0
    assert health(course / "grading")["state"] == "stopped"
    rows = json.loads((course / "grading" / "results.json").read_text())["submissions"]
    assert {row["student"]: (row["score"], row["late"]) for row in rows} == {
        STUDENT: (again["score"], False),
        LATE: (12, True),
        BLOCKED: (0, False),
    }


def _two(pages: dict[str, Path]) -> dict[str, Path] | None:
    return pages if len(pages) == 2 else None


# a burst: 14 students, 6 of whom submit again before the first is graded
BURST_STUDENTS = [f"s{number:02d}" for number in range(12)] + [STUDENT, "Ana O'Neil-Ñ"]
ANSWERS = [*CORRECT[:3], *WRONG[:4]]


def burst() -> list[tuple[str, object]]:
    first = [
        (student, ANSWERS[number % len(ANSWERS)]) for number, student in enumerate(BURST_STUDENTS)
    ]
    again = [
        (student, ANSWERS[(number + 3) % len(ANSWERS)])
        for number, student in enumerate(BURST_STUDENTS[::2][:6])
    ]
    return first + again


def latest_in_inbound(root: Path) -> dict[str, tuple[str, Path]]:
    """Each student's latest submission in the exchange: (its time, its folder)."""
    latest: dict[str, tuple[str, Path]] = {}
    for folder in (root / "exchange" / "gradient-descent" / "inbound").iterdir():
        student, moment = parse_name(folder.name)
        if student not in latest or _when(moment) > _when(latest[student][0]):
            latest[student] = (moment, folder)
    return latest


def _when(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


def recorded_times(course: Path) -> dict[str, str]:
    found = {}
    for path in (course / "grading" / "records").glob("*.json"):
        kept = json.loads(path.read_text())
        found[kept["student"]] = kept["submitted_at"]
    return found


def test_a_service_killed_mid_burst_leaves_each_student_one_grade_of_their_latest(
    tmp_path: Path, released_course: Path
):
    course = released_with_exchange(released_course, tmp_path)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    submissions = burst()
    with service(course, tmp_path) as first:
        workers = first.children()
        for student, answer in submissions:
            submit_in_process(tmp_path, student, notebook_for(answer, release))
        wait_for(lambda: len(first.graded_lines()) >= 3, 120)
        first.kill()
    before = recorded_times(course)
    latest = latest_in_inbound(tmp_path)
    assert len(latest) == len(BURST_STUDENTS) and len(before) < len(latest), "not mid-burst"
    wait_for(lambda: not any(alive(pid) for pid in workers), 60)  # no worker outlives it

    with service(course, tmp_path) as second:
        wait_for(lambda: recorded_times(course) == _times(latest), 180)
        assert second.stop() == 0
    graded_again = [line.split(": ")[0] for line in second.graded_lines()]
    assert sorted(graded_again) == sorted(
        student for student, (moment, _) in latest.items() if before.get(student) != moment
    ), "a submission recorded before the kill was graded again"

    alone = tmp_path / "alone"
    alone.mkdir()
    for student, (_, folder) in latest.items():
        (alone / f"{student}.ipynb").write_bytes((folder / NOTEBOOK).read_bytes())
    seed = json.loads((course / "grading" / "run.json").read_text())["seed"]
    done = run(
        ["autograder", "grade", "alone", "--out", "alone-out", "--seed", str(seed)], tmp_path
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = _results(tmp_path / "alone-out")
    assert _results(course / "grading") == expected
    with gradebook_of(course) as gradebook:
        scores = {
            each.student.id: each.score for each in gradebook.assignment_submissions(ASSIGNMENT)
        }
    assert scores == {student: row[0] for student, row in expected.items()}
    from nbgrader.utils import notebook_hash

    feedback = tmp_path / "exchange" / "gradient-descent" / "feedback"
    for student, (_, folder) in latest.items():  # released where fetch_feedback looks
        secret = (folder / "submission_secret.txt").read_text()
        page = feedback / f"{notebook_hash(secret=secret, notebook_id=ASSIGNMENT)}.html"
        assert score_on(page) == f"{expected[student][0]:g} / 12", student


def _times(latest: dict[str, tuple[str, Path]]) -> dict[str, str]:
    return {student: parse_time(moment) for student, (moment, _) in latest.items()}


def _results(out: Path) -> dict[str, tuple[float, list[bool]]]:
    rows = json.loads((out / "results.json").read_text())["submissions"]
    return {
        row["student"]: (row["score"], [check["passed"] for check in row["checks"]]) for row in rows
    }


def looping(release: Path) -> dict:
    """A correct notebook with a cell that never ends, early, so it holds a worker."""
    import nbformat

    notebook = notebook_for(CORRECT[0], release)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("while True:\n    pass\n"))
    return notebook


def test_a_submission_that_kills_judge_workers_is_graded_alone_then_recorded_as_an_error(
    tmp_path: Path, released_course: Path
):
    """A worker killed while grading a submission: it is graded again on its own in a new
    worker; killed again, the student gets a grader error; the service goes on either way, and
    tries that student again when it next starts."""
    course = released_with_exchange(released_course, tmp_path)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    with service(course, tmp_path, 1, "--timeout=5") as served:
        submit_in_process(tmp_path, "loops", looping(release))
        [first] = wait_for(served.grading, 60)
        os.kill(first, signal.SIGKILL)
        [second] = wait_for(lambda: [pid for pid in served.grading() if pid != first], 60)
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: (served.out / "records" / "loops.json").is_file(), 60)
        died = record(course, "loops")
        assert died["status"] == "grader_error" and "died, 2 times" in died["message"]
        assert "a judge worker died" in health(served.out)["last_error"]

        submit_in_process(tmp_path, "after", notebook_for(CORRECT[0], release))
        wait_for(lambda: (served.out / "records" / "after.json").is_file(), 120)
        assert record(course, "after")["score"] == 12
        assert served.stop() == 0
    with service(course, tmp_path, 1, "--timeout=5") as served:  # a grader error is no verdict
        wait_for(lambda: record(course, "loops")["status"] != "grader_error", 60)
        assert record(course, "loops")["status"] == "cpu_limit"
        assert record(course, "after")["score"] == 12
        assert served.stop() == 0


def test_a_service_on_a_dask_cluster_grades_as_it_arrives_and_gives_up_on_a_worker_killer(
    tmp_path: Path, released_course: Path
):
    """`serve --scheduler`: pages come back with their scores; a student whose grading kills
    every worker that takes it gets a grader error once Dask gives up on them alone, and the
    other students are graded all the same."""
    course = released_with_exchange(released_course, tmp_path)
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    killer = "worker killer"
    with local_cluster(2) as cluster, Client(cluster) as client:
        client.register_plugin(ExitOnStudent(killer))
        with service(course, tmp_path, 1, f"--scheduler={cluster.scheduler_address}") as served:
            submit_in_process(tmp_path, killer, notebook_for(CORRECT[0], release))
            submit(tmp_path, STUDENT, notebook_for(CORRECT[1], release))
            submit_in_process(tmp_path, "wrong", notebook_for(LOSS_SUM, release))
            [page] = wait_for(lambda: fetched_pages(tmp_path, STUDENT), 120).values()
            assert score_on(page) == "12 / 12"
            wait_for(lambda: (served.out / "records" / f"{file_name(killer)}.json").is_file(), 240)
            wait_for(lambda: (served.out / "records" / "wrong.json").is_file(), 60)
            assert served.stop() == 0
    died = record(course, killer)
    assert died["status"] == "grader_error" and "died, 2 times" in died["message"]
    assert 0 < record(course, "wrong")["score"] < 12
    assert [line.split(":")[0] for line in served.graded_lines()].count(killer) == 1


def test_a_course_without_its_exchange_is_refused_in_one_sentence(
    tmp_path: Path, released_course: Path
):
    course = tmp_path / "course"
    copy_released(released_course, course)
    done = run(["autograder", "serve", str(course), f"--exchange-root={tmp_path / 'none'}"], course)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "inbound does not exist: run `nbgrader release_assignment`" in done.stderr
    assert not (course / "grading").exists()
