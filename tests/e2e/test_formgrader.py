"""nbgrader's formgrader, a real Jupyter server, shows what the kit's `grade` recorded.

A copy of the course gets four submissions (a correct one, a wrong one, a file that is no
notebook, and a correct one whose every kind of cell tries to put live HTML in front of the
instructor), the real `python -m autograder grade` grades them, and the formgrader runs in a
Jupyter server of its own (free port, a token, Jupyter's config and runtime folders in the
test's temporary folder). Headless Chromium opens its pages as an instructor would.
Set AUTOGRADER_UPDATE_SCREENSHOTS=1 to copy the screenshot to docs/formgrader.png.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.exercise import CATEGORIES, graded_cell
from autograder.judge.record import Record
from autograder.outputs.gradescope import gradescope_results
from autograder.outputs.gradescope_run import feedback_html
from tests.corpus.answers import CORRECT, WRONG
from tests.support.browser import DESKTOP, Tab, browser_tab
from tests.support.course import (
    ASSIGNMENT,
    NOTEBOOK,
    ROOT,
    copy_released,
    kernel_env,
    run,
)
from tests.support.lesson import lesson_in_process
from tests.support.notebooks import notebook_for, write_submission
from tests.support.processes import stop

pytestmark = pytest.mark.slow

WRONG_ANSWER = next(answer for answer in WRONG if answer.name == "loss_sum")
STUDENTS = ("correct", "wrong", "unreadable", "hostile")
# HTML that would be live if a viewer rendered it: a link, a fake verdict, an image whose
# error handler runs, a script, a frame; each says where it came from.
HOSTILE = (
    "<a href=\"javascript:alert('{where} link')\">MARK-{where}-link</a> "
    "<a href='https://example.invalid/'>MARK-{where}-web-link</a> "
    '<div class="alert alert-success">MARK-{where} All checks passed</div> '
    "<img src=x onerror=\"alert('{where} image')\"> <script>alert('{where} script')</script> "
    "<iframe src=\"javascript:alert('{where} frame')\"></iframe> "
    "[MARK-{where}-markdown-link](javascript:alert('{where} markdown link'))"
)
SVG = "<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert('attachment')\"></svg>"
SUBMISSIONS_TABLE = (
    "Array.from(document.querySelectorAll('tbody tr'))"
    ".map(row => Array.from(row.cells).map(cell => cell.innerText.trim()))"
)
SCORE_PLACEHOLDERS = (
    "Object.fromEntries(Array.from(document.querySelectorAll('input.score'))"
    ".map(input => [input.id, input.placeholder]))"
)


@dataclass(frozen=True)
class Formgrader:
    url: str
    token: str
    course: Path
    results: dict[str, dict]  # results.json's row of each student


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def hostile_submission(release: Path) -> nbformat.NotebookNode:
    """A correct answer whose every kind of cell a student can write holds live HTML: markdown,
    raw (plain and marked as HTML), a markdown attachment, saved outputs, printed output and
    the answer cell itself."""
    notebook = notebook_for(CORRECT[0], release)
    answer = next(cell for cell in notebook.cells if cell.get("id") == "mean_squared_error")
    answer.source = f"# </textarea> {HOSTILE.format(where='answer')}\n" + answer.source
    printing = nbformat.v4.new_code_cell(f"print({HOSTILE.format(where='printed')!r})")
    printing.outputs = [
        nbformat.v4.new_output(
            "display_data",
            {
                "text/html": HOSTILE.format(where="saved output"),
                "application/javascript": "alert('saved script')",
            },
        )
    ]
    attachment = nbformat.v4.new_markdown_cell("![MARK-attachment](attachment:evil.svg)")
    attachment.attachments = {
        "evil.svg": {"image/svg+xml": base64.b64encode(SVG.encode()).decode()}
    }
    notebook.cells[1:1] = [
        nbformat.v4.new_markdown_cell(HOSTILE.format(where="markdown")),
        nbformat.v4.new_raw_cell(HOSTILE.format(where="raw")),
        nbformat.v4.new_raw_cell(
            HOSTILE.format(where="html raw"), metadata={"format": "text/html"}
        ),
        attachment,
        printing,
    ]
    return notebook


def _course_with_submissions(root: Path, released: Path) -> None:
    """A course copy with its release, and the four submissions."""
    release = copy_released(released, root)
    answers = {"correct": CORRECT[0], "wrong": WRONG_ANSWER}
    for number, student in enumerate(STUDENTS):
        folder = root / "submitted" / student / ASSIGNMENT
        if student in answers:
            write_submission(folder / NOTEBOOK, notebook_for(answers[student], release))
        elif student == "hostile":
            write_submission(folder / NOTEBOOK, hostile_submission(release))
        else:
            folder.mkdir(parents=True)
            (folder / NOTEBOOK).write_text('{"cells": [{"cell_type": "code", "source": ')
        (folder / "timestamp.txt").write_text(f"2026-11-2{number} 09:30:00.000000 UTC")


def _grade(root: Path) -> dict[str, dict]:
    """Grade the course's submissions with the kit; results.json's row of each student."""
    done = run(["autograder", "grade", "submitted", "--out", "grading"], root)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads((root / "grading" / "results.json").read_text())["submissions"]
    return {row["student"]: row for row in rows}


def _wait_until_serving(url: str, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    request = urllib.request.Request(
        f"{url}/api/status", headers={"Authorization": f"token {token}"}
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the Jupyter server exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(request, timeout=5):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"the Jupyter server did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def formgrader(
    tmp_path_factory: pytest.TempPathFactory, released_course: Path
) -> Iterator[Formgrader]:
    course = tmp_path_factory.mktemp("formgrader") / "course"
    _course_with_submissions(course, released_course)
    jupyter = tmp_path_factory.mktemp("jupyter")
    env = kernel_env() | {
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
    }
    port, token = _free_port(), secrets.token_hex(16)
    log = jupyter / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_server",
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={course}",
                f"--IdentityProvider.token={token}",
                "--ServerApp.jpserver_extensions={'nbgrader.server_extensions.formgrader': True}",
            ],
            cwd=course,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:  # the server starts while the kit grades: it reads the gradebook on each request
        results = _grade(course)
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, token, server, log)
        yield Formgrader(url, token, course, results)
    finally:
        stop(server, 15)


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory, formgrader: Formgrader) -> Iterator[Tab]:
    """A browser tab that sends the server's token with every request, scripts' included."""
    with browser_tab(tmp_path_factory.mktemp("profile")) as opened:
        opened.call("Network.enable")
        opened.call(
            "Network.setExtraHTTPHeaders", headers={"Authorization": f"token {formgrader.token}"}
        )
        yield opened


def _score(row: dict) -> str:
    """A score as the formgrader writes it."""
    return f"{row['score']:g} / {row['max_score']:g}"


def test_the_submissions_page_lists_every_student_with_the_kits_score(formgrader, tab, tmp_path):
    assert [formgrader.results[student]["score"] for student in STUDENTS] == [12, 9, 0, 12]
    tab.open(f"{formgrader.url}/formgrader/manage_submissions/{ASSIGNMENT}", DESKTOP)
    tab.wait_until(f"{SUBMISSIONS_TABLE}.length === {len(STUDENTS)}")
    shown = {row[1]: row for row in tab.evaluate(SUBMISSIONS_TABLE)}
    assert set(shown) == set(STUDENTS)
    for student, row in formgrader.results.items():
        name, student_id, timestamp, status, score = shown[student][:5]
        assert (status, score) == ("graded", _score(row)), shown[student]
    screenshot = tmp_path / "formgrader.png"
    tab.screenshot(screenshot)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("AUTOGRADER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(screenshot, ROOT / "docs" / "formgrader.png")


def _open_submission(tab: Tab, formgrader: Formgrader, student: str) -> str:
    """Open a student's submission from the manual grading list, as an instructor clicks it;
    the page's text once every grade cell shows its score."""
    tab.open(f"{formgrader.url}/formgrader/gradebook/{ASSIGNMENT}/{ASSIGNMENT}", DESKTOP)
    link = f"Array.from(document.links).find(link => link.textContent.trim() === '{student}')"
    tab.wait_until(f"{link} !== undefined")
    tab.open(tab.evaluate(f"{link}.href"), DESKTOP)
    tab.wait_until("Array.from(document.querySelectorAll('input.score')).every(i => i.placeholder)")
    return tab.evaluate("document.body.innerText")


def _points(formgrader: Formgrader, student: str) -> dict[str, str]:
    earned = dict.fromkeys(CATEGORIES, 0.0)
    for check in formgrader.results[student]["checks"]:
        earned[check["category"]] += check["points"]
    return {graded_cell(category): f"{points:g}" for category, points in earned.items()}


def test_a_submission_opens_with_the_students_cells_and_scores(formgrader, tab):
    shown = _open_submission(tab, formgrader, "wrong")
    assert tab.evaluate(SCORE_PLACEHOLDERS) == _points(formgrader, "wrong")
    assert "Student's answer" in shown
    assert "return ((y_guess - y) ** 2).sum()" in shown  # the student's own loss
    assert "loss.value_on_lesson_data" in shown and "did you sum instead of average?" in shown
    assert "score: 2/5" in shown
    for hidden in ("BEGIN HIDDEN TESTS", "in_notebook", 'score("loss"', "def test_"):
        assert hidden not in shown


def test_a_submission_that_is_no_notebook_opens_and_says_why(formgrader, tab):
    shown = _open_submission(tab, formgrader, "unreadable")
    assert set(tab.evaluate(SCORE_PLACEHOLDERS).values()) == {"0"}
    assert "No notebook in this submission could be graded: the file is not valid JSON" in shown


# What a page shows live: any element with an event handler or a `javascript:` address (the
# kit and nbgrader write none), and any script, frame, image, object, form or link that
# carries a student's text (each hostile piece holds `alert(` or `MARK-`).
LIVE = """(root => Array.from(root.querySelectorAll('*')).filter(element =>
    Array.from(element.attributes).some(attribute => attribute.name.startsWith('on')
        || /javascript:/i.test(attribute.value))
    || (['script', 'iframe', 'img', 'object', 'embed', 'svg', 'form', 'a']
            .includes(element.tagName.toLowerCase())
        && /alert\\(|MARK-/.test(element.outerHTML))
  ).map(element => element.outerHTML.slice(0, 200)))({root})"""
# Student text that is not inside code (`<pre>`, `<code>`): rendered, not shown.
RENDERED = """(root => {{
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {{
        const node = walker.currentNode;
        if (node.textContent.includes('MARK-') && !node.parentElement.closest('pre, code'))
            found.push(node.textContent.slice(0, 120));
    }}
    return found;
}})({root})"""
PLACES = ("markdown", "raw", "html raw", "answer")


def test_every_cell_a_student_wrote_is_shown_as_text_in_the_formgrader(formgrader, tab):
    shown = _open_submission(tab, formgrader, "hostile")
    notebook = "document.getElementById('notebook-container')"
    assert tab.evaluate(LIVE.format(root=notebook)) == []
    assert tab.evaluate(RENDERED.format(root=notebook)) == []
    assert tab.dialogs == []
    for where in PLACES:
        assert f"MARK-{where}-link" in shown and f"MARK-{where} All checks passed" in shown
        assert f"alert('{where} script')" in shown  # the source, as text
    assert "MARK-attachment" in shown
    assert "saved output" not in shown and "saved script" not in shown
    assert f"print({HOSTILE.format(where='printed')!r})" in shown
    assert set(tab.evaluate(SCORE_PLACEHOLDERS).values()) != {"0"}


def test_the_hostile_students_feedback_page_and_the_report_are_inert(formgrader, tab, tmp_path):
    page = formgrader.course / "feedback" / "hostile" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    report = formgrader.course / "grading" / "report.html"
    record = Record.from_json(
        json.loads((formgrader.course / "grading" / "records" / "hostile.json").read_text())
    )
    assert "MARK-printed" in record.output
    gradescope = tmp_path / "gradescope.html"
    gradescope.write_text(
        gradescope_results(record, 1.0, feedback_html(record, lesson_in_process()))["output"]
    )
    for shown in (page, report, gradescope):
        tab.open(shown.as_uri(), DESKTOP)
        assert tab.evaluate(LIVE.format(root="document.body")) == [], shown
        assert tab.evaluate(RENDERED.format(root="document.body")) == [], shown
    assert tab.dialogs == []
    tab.open(page.as_uri(), DESKTOP)
    assert "MARK-printed-link" in tab.evaluate("document.body.innerText")
