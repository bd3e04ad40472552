"""Lessons an instructor edits, each regenerated with the real `nbgrader generate_assignment`:
the kit grades what the edited notebook says, and refuses an edit that cannot be graded.

For each well-posed edit (`tests.support.edits.WELL_POSED`): `selftest` passes with the
catalogue's expected matrix (which holds a correct answer with `lr` written inside `update()`
with the lesson's value), every catalogue mistake loses the same categories as on the shipped
lesson, and `check` and the feedback page quote the edited values. For each ill-posed edit, a
command refuses it with its one sentence, before any student is graded: `selftest`, `check`,
`grade` and `gradescope` side by side for an edit refused from the release's cells and one
refused from what its training did, one of them in turn for every other edit.
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.batch.catalogue import Answer, catalogue
from autograder.judge.reference import reference_for
from autograder.lesson import MAX_EPOCHS, MAX_POINTS, Lesson
from tests.corpus.answers import REFERENCE
from tests.support.course import ASSIGNMENT, NOTEBOOK, kernel_env, nbgrader
from tests.support.edits import AT_THE_LIMITS, ILL_POSED, WELL_POSED, Edit, edited_course
from tests.support.inprocess import records_for
from tests.support.lesson import lesson_in_process, shipped_reference

pytestmark = pytest.mark.slow


def autograder(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`python -m autograder ...` run by an instructor in `folder` (the course, or a folder
    in it)."""
    return subprocess.run(
        [sys.executable, "-m", "autograder", *arguments],
        cwd=folder,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def release_of(course: Path) -> Path:
    return course / "release" / ASSIGNMENT / NOTEBOOK


@pytest.fixture(scope="module", params=WELL_POSED, ids=lambda edit: edit.name)
def edited(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, released_course: Path
) -> Path:
    edit: Edit = request.param
    return edited_course(tmp_path_factory.mktemp(edit.name), edit, released_course)


def lesson_line(lesson: Lesson) -> str:
    guess = ", ".join(f"{value:g}" for value in lesson.first_guess)
    return (
        f"lesson: {lesson.n} points, first guess ({guess}), lr = {lesson.lr:g}, "
        f"{lesson.epochs} calls of update()"
    )


def test_the_edit_changes_the_lesson(edited):
    assert lesson_in_process(release_of(edited)) != lesson_in_process()


def test_every_mistake_loses_what_it_loses_on_the_shipped_lesson(edited):
    shipped = {answer.name: answer.loses for answer in catalogue(shipped_reference())}
    mine = catalogue(reference_for(lesson_in_process(release_of(edited))))
    assert {answer.name: answer.loses for answer in mine} == shipped


def test_selftest_passes_on_the_edited_lesson(edited):
    done = autograder(edited, "selftest")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every one as expected" in done.stdout
    assert "run top to bottom as nbgrader validate runs it: every cell passes" in done.stdout
    assert lesson_line(lesson_in_process(release_of(edited))) in done.stdout
    assert "\nlearning_rate_written_inside_update " in done.stdout


def test_check_quotes_the_edited_lesson(edited, tmp_path):
    lesson = lesson_in_process(release_of(edited))
    [too_small] = [
        a for a in catalogue(reference_for(lesson)) if a.name == "learning_rate_too_small"
    ]
    notebook = tmp_path / NOTEBOOK
    nbformat.write(too_small.notebook(release_of(edited), REFERENCE), notebook)
    inside = edited / "grading" / "today"  # a folder of the course's own, not its top
    inside.mkdir(parents=True, exist_ok=True)
    done = autograder(inside, "check", str(notebook))
    assert done.returncode == 0, done.stderr
    assert lesson_line(lesson) in done.stdout
    assert f"learning rate of {lesson.lr / 10:.3g}" in done.stdout
    assert f"step with lr = {lesson.lr:.3g}" in done.stdout
    assert "score: 8/12" in done.stdout


def test_a_lesson_at_the_limits_grades_every_call_of_the_reference_and_a_mistake(
    tmp_path_factory, released_course
):
    """Every call of a training run at the most epochs, with the most points, reaches the
    judge: the reference gets full marks and a mistake loses what it loses anywhere."""
    course = edited_course(tmp_path_factory.mktemp("limits"), AT_THE_LIMITS, released_course)
    lesson = lesson_in_process(release_of(course))
    assert (lesson.n, lesson.epochs) == (MAX_POINTS, MAX_EPOCHS)
    [too_small] = [
        a for a in catalogue(reference_for(lesson)) if a.name == "learning_rate_too_small"
    ]
    mistake = tmp_path_factory.mktemp("mistake") / NOTEBOOK
    nbformat.write(too_small.notebook(release_of(course), REFERENCE), mistake)
    source = course / "source" / ASSIGNMENT / NOTEBOOK
    for notebook, score in [(source, "12/12"), (mistake, "8/12")]:
        done = autograder(course, "check", str(notebook))
        assert done.returncode == 0, done.stdout + done.stderr
        assert lesson_line(lesson) in done.stdout
        assert f"score: {score}" in done.stdout, done.stdout


def test_the_feedback_page_quotes_the_edited_lesson(edited, tmp_path):
    from autograder.feedback.pages import write_feedback_pages

    release = release_of(edited)
    lesson = lesson_in_process(release)
    answers = [a for a in catalogue(reference_for(lesson)) if a.name in ("loss_sum", "wrong_sign")]
    records = records_for(answers, release=release)
    paths = write_feedback_pages(records, lesson, tmp_path)
    pages = {path.stem: as_read(path.read_text(encoding="utf-8")) for path in paths}
    reference = reference_for(lesson)
    guess = "(" + ", ".join(f"{value:.4g}" for value in lesson.first_guess) + ")"
    assert f"Training: {lesson.epochs} calls of update()" in pages["wrong_sign"]
    assert f"a −= {lesson.lr:g}·∇loss" in pages["wrong_sign"]
    assert f"after {lesson.epochs} calls of" in pages["wrong_sign"]
    assert f"with a = {guess}, your mean_squared_error returned" in pages["loss_sum"]
    summed = float(((reference.prediction(reference.first_guess) - reference.y) ** 2).sum())
    assert f"returned {summed:.6g}" in pages["loss_sum"]


def as_read(page: str) -> str:
    """A page's text as a reader sees it: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


COMMANDS = {
    "selftest": ["selftest"],
    "check": ["check", f"source/{ASSIGNMENT}/{NOTEBOOK}"],
    "grade": ["grade", "submitted", "--out", "grading", "--workers", "1"],
    "gradescope": ["gradescope", "--out", "autograder.zip"],
}
# Refused from the release's cells, and from what its training did: every command, side by side
EVERY_COMMAND_REFUSES = ("no_graded_cell_for_zero_grad", "learning_rate_that_diverges")


def refusals() -> list[tuple[Edit, tuple[str, ...]]]:
    """Each ill-posed edit with the commands that must refuse it. The sentence is decided in
    one place (`autograder.judge.lesson_reading`) and each command has its own way there, so
    every command meets both kinds of refusal and every edit meets a command end to end."""
    others = [edit for edit in ILL_POSED if edit.name not in EVERY_COMMAND_REFUSES]
    names = list(COMMANDS)
    every = [(edit, tuple(names)) for edit in ILL_POSED if edit.name in EVERY_COMMAND_REFUSES]
    in_turn = [(edit, (names[number % len(names)],)) for number, edit in enumerate(others)]
    return every + in_turn


def test_every_command_meets_both_kinds_of_refusal_and_every_edit_a_command():
    side_by_side = {edit.name for edit, names in refusals() if names == tuple(COMMANDS)}
    assert side_by_side == set(EVERY_COMMAND_REFUSES)
    assert sorted(edit.name for edit, _ in refusals()) == sorted(edit.name for edit in ILL_POSED)
    by_command = {name: [e.name for e, names in refusals() if name in names] for name in COMMANDS}
    assert all(len(edits) >= 3 for edits in by_command.values()), by_command


@pytest.fixture(
    scope="module",
    params=refusals(),
    ids=lambda refusal: f"{refusal[0].name}-by-{'-'.join(refusal[1])}",
)
def ill_posed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, released_course: Path
):
    edit, commands = request.param
    return edit, commands, edited_course(tmp_path_factory.mktemp(edit.name), edit, released_course)


def test_an_ill_posed_edit_is_refused_before_any_student_is_graded(ill_posed):
    """The commands run side by side, as instructors would run them."""
    edit, commands, course = ill_posed
    student = course / "submitted" / "ana" / ASSIGNMENT
    student.mkdir(parents=True)
    (student / NOTEBOOK).write_bytes(release_of(course).read_bytes())
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "autograder", *arguments],
            cwd=course,
            env=kernel_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, arguments in COMMANDS.items()
        if name in commands
    }
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=900)
        assert process.returncode == 2, f"{name}: {stdout}{stderr}"
        line = stderr.strip().splitlines()[-1]
        assert line.startswith("error: the lesson cannot be graded: "), f"{name}: {stderr}"
        assert edit.says in line, f"{name}: {line}"
        assert "cell " in line or "the release" in line, f"{name}: {line}"  # names the cell
        assert "answers graded" not in stdout, name
    assert not (course / "grading").exists() and not (course / "autograder.zip").exists()


def test_nbgraders_own_autograde_grades_the_edited_lesson(tmp_path, released_course):
    """The graded cells' hidden tests read the lesson from the course's release too: in
    `nbgrader autograde`, a student following the edited notebook gets every point, and one
    following the shipped lesson does not."""
    edit = next(edit for edit in WELL_POSED if edit.name == "smaller_learning_rate_and_more_epochs")
    course = edited_course(tmp_path, edit, released_course)
    edited_lr, shipped_lr = lesson_in_process(release_of(course)).lr, shipped_reference().lr
    for name, rate in (("follows_the_edit", edited_lr), ("follows_the_shipped", shipped_lr)):
        answers = catalogue(shipped_reference())
        [answer] = [a for a in answers if a.name == "learning_rate_written_inside_update"]
        update = answer.update.replace(f"lr = {shipped_lr!r}", f"lr = {rate!r}")
        notebook = Answer(name, update=update).notebook(release_of(course), REFERENCE)
        folder = course / "submitted" / name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / NOTEBOOK)
    nbgrader("autograde", ASSIGNMENT, "--force", cwd=course, timeout=1200)
    nbgrader("export", "--to", "grades.csv", cwd=course)
    with (course / "grades.csv").open(newline="") as stream:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(stream)}
    assert scores["follows_the_edit"] == 12.0
    assert scores["follows_the_shipped"] < 12.0
