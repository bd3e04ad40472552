"""A feedback page and the class report, opened in real headless Chromium.

Chromium is driven through the DevTools protocol (`tests.support.browser`): every image
decoded, the key text is there, the feedback page fits a phone's width, and every link of the
class report opens its student's page, whatever the id. Screenshots are saved beside the
pages.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.feedback.pages import write_feedback_pages
from autograder.feedback.report import write_class_report
from autograder.intake.ids import student_id
from autograder.judge.record import Record, Status, max_score
from autograder.judge.runner import hidden_checks
from tests.corpus.answers import CORRECT, WRONG, Answer
from tests.support.browser import ALL_IMAGES_LOADED, DESKTOP, PHONE
from tests.support.inprocess import records_for
from tests.support.lesson import lesson_in_process

pytestmark = pytest.mark.slow


def answer_named(name: str) -> Answer:
    return next(answer for answer in WRONG if answer.name == name)


# A student who makes two common mistakes at once: a summed loss and a gradient never zeroed.
TWO_MISTAKES = Answer(
    "student_042",
    loss=answer_named("loss_sum").loss,
    update=answer_named("no_zero_grad").update,
)


@pytest.fixture(scope="module")
def grading(tmp_path_factory: pytest.TempPathFactory, corpus_records) -> Path:
    folder = tmp_path_factory.mktemp("grading")
    most = max_score(hidden_checks())
    stopped = [
        Record("student_077", Status.TIMEOUT, most, "your code was stopped after 10 s"),
        Record("student_105", Status.CRASHED, most, "your code exited before answering"),
    ]
    corpus = [corpus_records[answer.name] for answer in [*WRONG, *CORRECT]]
    records = records_for([TWO_MISTAKES]) + corpus + stopped
    write_feedback_pages(records, lesson_in_process(), folder, None)
    write_class_report(records, folder, seconds=9.0)
    return folder


def test_a_feedback_page_shows_its_pictures_and_fits_a_phone(tab, grading, tmp_path):
    tab.open((grading / "feedback" / "student_042.html").as_uri(), PHONE)
    assert tab.evaluate("document.images.length") == 4  # fit, two loss curves, loss value
    assert tab.evaluate(ALL_IMAGES_LOADED)
    assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shown = tab.evaluate("document.body.innerText")
    for phrase in (
        "feedback for student_042",
        "Likely mistake: summed instead of averaged",
        "Likely mistake: gradient never zeroed",
        "Your run, in pictures",
        "loss.value_on_lesson_data",
    ):
        assert phrase in shown
    tab.screenshot(tmp_path / "feedback-page.png")
    assert (tmp_path / "feedback-page.png").read_bytes().startswith(b"\x89PNG")


def test_the_class_report_shows_its_charts(tab, grading, tmp_path):
    tab.open((grading / "report.html").as_uri(), DESKTOP)
    charts = "Array.from(document.querySelectorAll('svg.chart'))"
    assert tab.evaluate(f"{charts}.length") == 2
    drawn = "c => c.getBoundingClientRect().width > 300 && c.getBoundingClientRect().height > 100"
    assert tab.evaluate(f"{charts}.every({drawn})")
    bars_and_rows = (  # one bar per check, as many as the table under the chart has rows
        f"[{charts}[1].querySelectorAll('rect.bar').length,"
        f" {charts}[1].nextElementSibling.querySelectorAll('tr').length - 1]"
    )
    bars, rows = tab.evaluate(bars_and_rows)
    assert bars == rows > 0
    shown = tab.evaluate("document.body.innerText")
    for phrase in ("Pass rate per check", "Most common mistakes", "loss_sum", "student_077"):
        assert phrase in shown
    tab.screenshot(tmp_path / "class-report.png")
    assert (tmp_path / "class-report.png").read_bytes().startswith(b"\x89PNG")


# Ids as the kit gives them: spaces, accents, URL syntax, percent signs, other scripts,
# leading dots, escapes, and names too long for a file.
LINKED_IDS = [
    "ana smith",
    "José Núñez",
    "100%",
    "a%20b",
    "a#b",
    "what?x=1&y=2",
    "名前 😀",
    ".hidden",
    "..",
    "a/b",
    "back\\\\slash",
    "quote'\"<>&",
    "x" * 300,
]
# In a course, ids come from nbgrader's folder names, bytes that are not UTF-8 included.
COURSE_FOLDERS = [b"ana smith", "José Núñez".encode(), b"100%", b"a#b", b"what?", b"caf\xe9"]


def report_links_open_their_pages(tab, report: Path, students: list[str]) -> None:
    tab.open(report.as_uri(), DESKTOP)
    links = tab.evaluate(
        "Array.from(document.querySelectorAll('table.sortable a'))"
        ".map(link => [link.textContent, link.href])"
    )
    assert sorted(text for text, _ in links) == sorted(students)
    for student, address in links:
        tab.open(address, DESKTOP)
        heading = tab.evaluate(
            "document.querySelector('h1') && document.querySelector('h1').textContent"
        )
        assert heading == f"Gradient descent from scratch — feedback for {student}", address


def invalid(student: str) -> Record:
    return Record(student, Status.INVALID, max_score(hidden_checks()), "no notebook")


def test_class_report_links_open_each_students_page_whatever_the_id(tab, tmp_path):
    records = [invalid(student) for student in LINKED_IDS]
    write_feedback_pages(records, lesson_in_process(), tmp_path, None)
    report = write_class_report(records, tmp_path, seconds=1.0)
    report_links_open_their_pages(tab, report, LINKED_IDS)


def test_in_a_course_report_links_open_the_pages_in_nbgraders_folders(tab, tmp_path):
    course, out = tmp_path / "course", tmp_path / "course" / "grading"
    records = [invalid(student_id(folder)) for folder in COURSE_FOLDERS]
    write_feedback_pages(records, lesson_in_process(), out, course)
    report = write_class_report(records, out, seconds=1.0, course_root=course)
    on_disk = sorted(os.listdir(os.fsencode(course / "feedback")))
    assert on_disk == sorted(COURSE_FOLDERS)
    report_links_open_their_pages(tab, report, [record.student for record in records])
