"""The kit in nbgrader's own cycle, with nbgrader's real commands and a real exchange: students
whose ids hold `@`, spaces, accents, `%`, `#` and `?` submit, the instructor collects, the kit
grades, `nbgrader release_feedback` releases and each student's `nbgrader fetch_feedback`
delivers the kit's page. nbgrader finds everything under the student's own id; a rebuild after
a record is damaged keeps that student in every output.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import nbformat
import pytest

from autograder.intake.ids import file_name
from autograder.judge.record import Status
from tests.corpus.answers import CORRECT, WRONG
from tests.support.course import ASSIGNMENT, NOTEBOOK, copy_released, nbgrader, run
from tests.support.notebooks import notebook_for, write_submission

pytestmark = pytest.mark.slow

COURSE_ID = "gradient-descent"  # nbgrader_config.py's
LOSS_SUM = next(answer for answer in WRONG if answer.name == "loss_sum")
# (id, answer) of each student who submits through the exchange: an e-mail address, a space,
# accents and what a URL would read as something else, in one id (each nbgrader command costs
# seconds)
STUDENT = "José.Núñez@uni.edu 50% #1?"
SUBMITTING = {STUDENT: LOSS_SUM}
BY_HAND = "copied in by hand"  # a submission put into submitted/ without nbgrader's exchange
PAGE = f"{ASSIGNMENT}.html"


def exchange(root: Path) -> list[str]:
    return [f"--Exchange.root={root / 'exchange'}"]


def as_student(root: Path, student: str) -> tuple[Path, list[str]]:
    """The student's own folder, and the options their nbgrader commands take."""
    home = root / "students" / student
    options = [
        f"--course={COURSE_ID}",
        f"--Exchange.cache={home / '.cache'}",
        f"--student={student}",
        *exchange(root),
    ]
    return home, options


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, released_course: Path) -> Path:
    """Released, submitted through the exchange, collected and graded by the kit."""
    root = tmp_path_factory.mktemp("exchange")
    course = root / "course"
    release = copy_released(released_course, course)
    nbgrader("release_assignment", ASSIGNMENT, *exchange(root), cwd=course)
    for student, answer in SUBMITTING.items():
        home, options = as_student(root, student)
        write_submission(home / ASSIGNMENT / NOTEBOOK, notebook_for(answer, release))
        nbgrader("submit", ASSIGNMENT, *options, cwd=home)
    nbgrader("collect", ASSIGNMENT, *exchange(root), cwd=course)
    by_hand = course / "submitted" / BY_HAND / ASSIGNMENT / NOTEBOOK
    write_submission(by_hand, notebook_for(CORRECT[0], release))
    done = run(["autograder", "grade", "submitted", "--out", "grading", "--workers", "1"], course)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"without nbgrader's submission_secret.txt ({BY_HAND})" in done.stdout
    return course


def results(course: Path) -> dict[str, dict]:
    rows = json.loads((course / "grading" / "results.json").read_text())["submissions"]
    return {row["student"]: row for row in rows}


def test_nbgrader_finds_every_file_the_kit_wrote_under_the_students_own_id(course: Path):
    students = [*SUBMITTING, BY_HAND]
    assert sorted(results(course)) == sorted(students)
    for student in students:
        assert (course / "autograded" / student / ASSIGNMENT / NOTEBOOK).is_file()
        for name in (PAGE, "timestamp.txt", "submission_secret.txt"):
            assert (course / "feedback" / student / ASSIGNMENT / name).is_file(), name
    assert sorted(path.name for path in (course / "autograded").iterdir()) == sorted(students)
    assert sorted(path.name for path in (course / "feedback").iterdir()) == sorted(students)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        scores = {
            submission.student.id: submission.score
            for submission in gradebook.assignment_submissions(ASSIGNMENT)
        }
    assert scores == {student: row["score"] for student, row in results(course).items()}


def test_release_feedback_and_each_students_fetch_feedback_deliver_the_kits_page(course: Path):
    root = course.parent
    nbgrader("release_feedback", ASSIGNMENT, *exchange(root), cwd=course)
    for student in SUBMITTING:
        home, options = as_student(root, student)
        nbgrader("fetch_feedback", ASSIGNMENT, *options, cwd=home)
        [fetched] = (home / ASSIGNMENT / "feedback").glob(f"*/{PAGE}")
        page = course / "feedback" / student / ASSIGNMENT / PAGE
        assert fetched.read_bytes() == page.read_bytes()
        assert f"feedback for {student}" in fetched.read_text(encoding="utf-8")


def test_a_rebuild_after_a_record_is_damaged_keeps_the_student_in_every_output(course: Path):
    """A truncated record: the student's row is a grader error in results.json, the
    gradebook (for review, not a zero), the autograded notebook, the page and the report."""
    student = STUDENT
    record = course / "grading" / "records" / f"{file_name(student)}.json"
    kept = record.read_bytes()
    try:
        record.write_bytes(kept[: len(kept) // 2])
        done = run(["autograder", "feedback", "--out", "grading"], course)
        assert done.returncode == 1, done.stdout + done.stderr
        row = results(course)[student]
        assert row["status"] == Status.GRADER_ERROR and "cannot be used" in row["message"]
        assert len(results(course)) == len(SUBMITTING) + 1
        assert f"{student}: grader_error: the stored record cannot be used" in done.stdout
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
            submission = gradebook.find_submission(ASSIGNMENT, student)
            assert submission.needs_manual_grade and submission.score == 0
        autograded = nbformat.read(course / "autograded" / student / ASSIGNMENT / NOTEBOOK, 4)
        assert "grader_error: the stored record cannot be used" in nbformat.writes(autograded)
        page = (course / "feedback" / student / ASSIGNMENT / PAGE).read_text(encoding="utf-8")
        assert "The grader itself failed" in page and "cannot be used" in page
        report = (course / "grading" / "report.html").read_text(encoding="utf-8")
        assert html.escape(student) in report and "cannot be used" in report
    finally:
        record.write_bytes(kept)
