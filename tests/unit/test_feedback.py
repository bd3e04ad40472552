"""Feedback pages and the class report, built from real records of the answer corpus."""

from __future__ import annotations

import csv
import html
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.batch.catalogue import Answer
from autograder.exercise import ASSIGNMENT
from autograder.feedback.observed import page_questions
from autograder.feedback.pages import write_feedback_pages
from autograder.feedback.report import write_class_report
from autograder.feedback.statuses import EXPLANATIONS
from autograder.inside.observations import TRAINING, LossRun, ParameterState, UpdateRun
from autograder.intake.ids import file_name
from autograder.judge.record import CheckResult, Record, Status, max_score
from autograder.judge.results import shows_own_training
from autograder.judge.runner import hidden_checks
from tests.corpus.answers import CORRECT, WRONG
from tests.support.inprocess import records_for
from tests.support.lesson import lesson_in_process, shipped_reference
from tests.support.secrets import leaked

WITH_MISTAKE = [answer for answer in WRONG if answer.mistake]
WITHOUT_MISTAKE = [answer for answer in WRONG if not answer.mistake]
HOSTILE = '<script>alert("x")</script>'


def synthetic(student: str, status: Status, message: str, **extra: Any) -> Record:
    return Record(
        student=student,
        status=status,
        max_score=max_score(hidden_checks()),
        message=message,
        **extra,
    )


SYNTHETIC = [
    synthetic(
        "slow_student", Status.TIMEOUT, "your code was stopped after 10 s", output="epoch 1\n"
    ),
    synthetic("busy_student", Status.CPU_LIMIT, "your code kept the CPU busy until it was stopped"),
    synthetic("crashing_student", Status.CRASHED, "your code exited before answering"),
    synthetic("broken_file", Status.INVALID, "not a notebook: Expecting value: line 1 column 1"),
    synthetic("renamed_functions", Status.MISSING_FUNCTION, "update is not defined"),
    synthetic("unlucky_student", Status.GRADER_ERROR, "the grader failed while grading"),
]


@pytest.fixture(scope="module")
def records(corpus_records: dict[str, Record]) -> dict[str, Record]:
    graded = [corpus_records[answer.name] for answer in WRONG + CORRECT]
    return {item.student: item for item in graded + SYNTHETIC}


@pytest.fixture(scope="module")
def out(records, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("grading")
    write_feedback_pages(list(records.values()), lesson_in_process(), folder, None)
    write_class_report(list(records.values()), folder, seconds=12.5)
    return folder


def page_of(out: Path, student: str) -> str:
    return (out / "feedback" / f"{file_name(student)}.html").read_text(encoding="utf-8")


def test_there_is_one_self_contained_phone_friendly_page_per_record(records, out):
    pages = sorted((out / "feedback").glob("*.html"))
    assert len(pages) == len(records)
    for path in pages:
        page = path.read_text(encoding="utf-8")
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
        sources = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert all(source.startswith("data:image/png;base64,") for source in sources), path


@pytest.mark.parametrize("answer", WITH_MISTAKE, ids=lambda answer: answer.name)
def test_each_planted_mistake_is_named_on_its_page(records, out, answer):
    [(_, first), *_] = records[answer.name].mistakes
    assert first.key == answer.mistake
    page = page_of(out, answer.name)
    assert f'data-mistake="{answer.mistake}"' in page
    assert "Likely mistake:" in page
    assert html.escape(first.title) in page
    assert html.escape(first.hint) in page


@pytest.mark.parametrize("answer", WITHOUT_MISTAKE, ids=lambda answer: answer.name)
def test_a_mistake_without_a_known_formula_gets_no_guess_but_its_failed_checks(
    records, out, answer
):
    assert records[answer.name].mistakes == []
    page = page_of(out, answer.name)
    assert "Likely mistake" not in page
    assert html.escape(answer.says) in page


@pytest.mark.parametrize("answer", CORRECT, ids=lambda answer: answer.name)
def test_correct_answers_show_no_mistake(records, out, answer):
    assert records[answer.name].mistakes == []
    page = page_of(out, answer.name)
    assert "Likely mistake" not in page
    assert "Every check passed" in page
    assert page.count("✗ fail") == 0


def test_every_check_is_listed_with_its_verdict_and_message(records, out):
    page = page_of(out, "wrong_sign")
    for check in records["wrong_sign"].checks:
        assert f"<code>{check.id}</code>" in page
        if not check.passed:
            assert html.escape(check.message) in page
    assert "Every step: update() — 1 of 3 points" in page


def test_pictures_show_the_run_and_a_wrong_loss_value(out):
    def pictures(student: str) -> int:
        return page_of(out, student).count("data:image/png;base64,")

    assert pictures("reference") == 2  # the fit and the loss per epoch
    assert pictures("loss_no_square") == 4  # own training, and the wrong loss value
    reference = shipped_reference()
    summed = float(((reference.prediction(reference.first_guess) - reference.y) ** 2).sum())
    shown = f"your <code>mean_squared_error</code> returned {summed:.6g}"
    assert shown in page_of(out, "loss_sum")
    assert f"after {reference.epochs} calls" in page_of(out, "wrong_sign")
    assert "past the top of the chart" in page_of(out, "wrong_sign")
    assert "training diverged" in page_of(out, "summed_loss_inside_update")


def test_the_notebooks_own_training_is_kept_exactly_when_the_page_shows_it(records):
    """It is watched only while the page may show it (`runner.watch_training`), for every
    answer of the corpus: a record that lacks it would lose the page its picture."""
    graded = [records[answer.name] for answer in CORRECT + WRONG]
    for record in graded:
        kept = any(item["question"] == TRAINING for item in record.observations)
        assert kept == shows_own_training(record.checks), record.student
    assert 0 < sum(shows_own_training(record.checks) for record in graded) < len(graded)


def test_a_stand_in_loss_is_explained_and_training_with_the_own_loss_is_shown(out):
    page = page_of(out, "loss_sum")
    assert "was checked with a correct loss in place of your" in page
    assert "what training did in your notebook, with your own loss" in page
    assert page.count("data:image/png;base64,") == 4  # fit, loss curve, own training, value
    assert "training diverged" in page
    assert "checked with a correct loss" not in page_of(out, "wrong_sign")


@pytest.mark.parametrize("item", SYNTHETIC, ids=lambda item: str(item.status))
def test_submissions_that_could_not_be_graded_explain_what_happened(out, item):
    page = page_of(out, item.student)
    explanation = EXPLANATIONS[item.status]
    assert "What happened" in page and "What to do" in page
    assert html.escape(explanation.happened) in page
    assert html.escape(explanation.to_do) in page
    assert html.escape(item.message) in page


def test_text_a_student_controls_is_escaped(tmp_path):
    hostile = synthetic(
        HOSTILE,
        Status.CRASHED,
        f"message {HOSTILE}",
        notes=[f"note {HOSTILE}"],
        output=f"printed {HOSTILE}",
        checks=[
            CheckResult(
                id="loss.value_on_lesson_data",
                category="loss",
                points=0.0,
                max_points=1.0,
                passed=False,
                message=f"returned {HOSTILE}",
            )
        ],
    )
    [path] = write_feedback_pages([hostile], lesson_in_process(), tmp_path, None)
    report = write_class_report([hostile], tmp_path, seconds=1.0)
    assert path.parent == tmp_path / "feedback"
    for text in (path.read_text(encoding="utf-8"), report.read_text(encoding="utf-8")):
        assert HOSTILE not in text and "<script>alert" not in text
        assert html.escape(HOSTILE) in text
    assert path.read_text(encoding="utf-8").count(html.escape(HOSTILE)) == 6


LOSS_NEAR_THE_LARGEST_FLOAT = Answer(
    "loss_near_the_largest_float",
    loss="""
import torch

def mean_squared_error(y, y_guess):
    return torch.tensor(1.7e308, dtype=torch.float64)
""",
)


def test_a_loss_too_large_to_chart_is_said_in_words_on_its_page(tmp_path):
    """A student's loss may return any number: one near the largest float leaves the chart
    out (its margins would overflow)."""
    [record] = records_for([LOSS_NEAR_THE_LARGEST_FLOAT])
    [path] = write_feedback_pages([record], lesson_in_process(), tmp_path)
    page = path.read_text(encoding="utf-8")
    assert "<code>mean_squared_error</code> returned 1.7e+308;" in page
    assert "your loss value against the right one" not in page


# numbers of every kind, and often near the largest a float holds, which overflow what they touch
any_number = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.floats(min_value=1e300, allow_infinity=False)
    | st.floats(max_value=-1e300, allow_infinity=False)
)
some_numbers = st.none() | st.lists(any_number, max_size=3)


def parameter_states(values: st.SearchStrategy[list[float] | None]) -> st.SearchStrategy:
    return st.builds(
        ParameterState,
        values=values,
        grad=some_numbers,
        still_bound=st.booleans(),
        is_parameter=st.booleans(),
        is_leaf=st.booleans(),
        requires_grad=st.booleans(),
    )


# `a` after each call: a line's two numbers every time (a run the pictures draw), or anything
runs_of_states = st.sampled_from(
    [parameter_states(st.lists(any_number, min_size=2, max_size=2)), parameter_states(some_numbers)]
)
loss_runs = st.builds(
    LossRun,
    error=st.none(),
    undefined=st.just(False),
    returned=st.just("tensor"),
    shape=st.just([]),
    values=st.lists(any_number, min_size=1, max_size=1) | some_numbers,  # mostly one number
    problem=st.none(),
    tracks_gradient=st.booleans(),
    grad=some_numbers,
    grad_error=st.none(),
)


@st.composite
def answers_about_the_lesson(draw: st.DrawFn) -> Record:
    """A record holding any answers a student's code could give to the questions a page is
    drawn from: the loss of the first guess, training's calls from it, and the notebook's own
    training (shown, since a loss check failed)."""
    reference = shipped_reference()
    start, epochs = reference.lesson.first_guess, reference.epochs

    def run() -> UpdateRun:
        states = draw(st.lists(draw(runs_of_states), max_size=epochs))
        return UpdateRun(list(start), epochs, states, draw(st.none() | st.just("RuntimeError")))

    lesson_loss, trajectory = page_questions(reference)
    observations = (
        {"question": lesson_loss.to_json(), "answer": draw(loss_runs).to_json()},
        {"question": trajectory.to_json(), "answer": run().to_json()},
        {"question": TRAINING, "answer": run().to_json()},
    )
    failed = CheckResult(
        id="loss.value_on_lesson_data",
        category="loss",
        points=0.0,
        max_points=1.0,
        passed=False,
        message="the loss is wrong",
    )
    return synthetic(
        "student", Status.GRADED, "graded", checks=(failed,), observations=observations
    )


@settings(max_examples=40, deadline=None)
@given(answers_about_the_lesson())
def test_any_answers_about_the_lesson_make_a_page_without_an_error_or_a_warning(
    tmp_path_factory, record
):
    out = tmp_path_factory.mktemp("pages")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # matplotlib's and numpy's warnings alike
        [path] = write_feedback_pages([record], lesson_in_process(), out)
    assert [str(warning.message) for warning in caught] == []
    assert "Your <code>update()</code> was checked with a correct loss" in path.read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    "student", ["..", ".", "", "a/b", "../../escape", "ünï cödé", "x" * 400, "con", ".hidden"]
)
def test_any_student_id_gives_a_file_inside_the_feedback_folder(tmp_path, student):
    [path] = write_feedback_pages(
        [synthetic(student, Status.INVALID, "empty file")], lesson_in_process(), tmp_path, None
    )
    assert path.parent == tmp_path / "feedback"
    assert path.is_file() and len(path.name) <= 255


def test_distinct_ids_get_distinct_file_names():
    ids = ["a", "A", "a b", "a%20b", "a/b", "a%2Fb", ".", "%2E", "..", "", "x" * 300, "x" * 301]
    assert len({file_name(student) for student in ids}) == len(ids)


def test_in_a_course_pages_go_to_nbgraders_feedback_folder(records, tmp_path):
    course = tmp_path / "course"
    paths = write_feedback_pages(
        [records["reference"]], lesson_in_process(), tmp_path / "out", course
    )
    assert paths == [course / "feedback" / "reference" / ASSIGNMENT / f"{ASSIGNMENT}.html"]
    assert paths[0].is_file()


def test_the_class_report_counts_mistakes_and_lists_runs_that_did_not_finish(records, out):
    report = (out / "report.html").read_text(encoding="utf-8")
    assert report.count('<svg class="chart"') == 2  # the charts are in the page itself
    assert "<img" not in report
    assert "Most common mistakes" in report
    assert "update_wrong_learning_rate" in report
    for item in SYNTHETIC:
        assert item.student in report
    assert "12.5 s" in report
    with (out / "mistakes.csv").open(newline="", encoding="utf-8") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert set(rows) == set(records)
    assert rows["loss_sum"]["mistakes"] == "loss_sum"
    assert rows["reference"] == {
        "student": "reference",
        "status": "graded",
        "score": "12.0",
        "mistakes": "",
    }


def test_no_page_shows_hidden_checks_inputs_or_the_reference_solution(records, out):
    shown = {}
    for record in records.values():
        if record.seed is not None:
            shown[record.student] = leaked(page_of(out, record.student), record.seed)
    for path in (out / "report.html", out / "mistakes.csv"):
        text = path.read_text(encoding="utf-8")
        for record in records.values():
            if record.seed is not None:
                shown[f"{path.name}, {record.student}"] = leaked(text, record.seed)
    assert {where: secrets for where, secrets in shown.items() if secrets} == {}
