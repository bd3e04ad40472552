"""A feedback page and the class report, opened in real headless Chromium.

Chromium is driven through the DevTools protocol, so the checks run in the browser itself
without adding anything to the pages: every image decoded, the key text is there, and the
feedback page fits a phone's width. Screenshots are saved beside the pages.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websocket

from autograder.feedback.pages import write_feedback_pages
from autograder.feedback.report import write_class_report
from autograder.judge.record import Record, Status, max_score
from autograder.judge.runner import hidden_checks
from tests.corpus.answers import CORRECT, WRONG, Answer
from tests.support.inprocess import records_for

pytestmark = pytest.mark.slow

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
ALL_IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1000, "height": 800, "deviceScaleFactor": 1, "mobile": False}


def answer_named(name: str) -> Answer:
    return next(answer for answer in WRONG if answer.name == name)


# A student who makes two common mistakes at once: a summed loss and a gradient never zeroed.
TWO_MISTAKES = Answer(
    "student_042",
    loss=answer_named("loss_sum").loss,
    update=answer_named("no_zero_grad").update,
)


class Tab:
    """One browser tab, spoken to over the DevTools protocol's WebSocket."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.last_id:
                assert "error" not in message, message["error"]
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        while not any(message.get("method") == event for message in self.events):
            self.events.append(json.loads(self.socket.recv()))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"]["value"]

    def open(self, page: Path, screen: dict[str, Any]) -> None:
        self.call("Emulation.setDeviceMetricsOverride", **screen)
        self.call("Page.enable")
        self.events.clear()
        self.call("Page.navigate", url=page.as_uri())
        self.wait_for("Page.loadEventFired")

    def screenshot(self, target: Path) -> None:
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        target.write_bytes(base64.b64decode(shot["data"]))


def _devtools_port(profile: Path, browser: subprocess.Popen[bytes]) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and browser.poll() is None:
        if marker.is_file() and marker.read_text().strip():
            return int(marker.read_text().splitlines()[0])
        time.sleep(0.1)
    raise RuntimeError("Chromium did not open its DevTools port")


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Tab]:
    assert BROWSER is not None, "chromium is not installed: apt-get install chromium (.ci/run does)"
    profile = tmp_path / "profile"
    browser = subprocess.Popen(
        [
            BROWSER,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _devtools_port(profile, browser)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            targets = json.load(reply)
        page = next(target for target in targets if target["type"] == "page")
        opened = Tab(page["webSocketDebuggerUrl"])
        yield opened
        opened.socket.close()
    finally:
        browser.terminate()
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            browser.kill()
            browser.wait()


@pytest.fixture(scope="module")
def grading(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("grading")
    records = records_for([TWO_MISTAKES, *WRONG, *CORRECT]) + [
        Record(
            "student_077",
            Status.TIMEOUT,
            max_score(hidden_checks()),
            "your code was stopped after 10 s",
        ),
        Record(
            "student_105",
            Status.CRASHED,
            max_score(hidden_checks()),
            "your code exited before answering",
        ),
    ]
    write_feedback_pages(records, folder, None)
    write_class_report(records, folder, seconds=9.0)
    return folder


def test_a_feedback_page_shows_its_pictures_and_fits_a_phone(tab, grading, tmp_path):
    tab.open(grading / "feedback" / "student_042.html", PHONE)
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
    tab.open(grading / "report.html", DESKTOP)
    assert tab.evaluate("document.images.length") == 2
    assert tab.evaluate(ALL_IMAGES_LOADED)
    shown = tab.evaluate("document.body.innerText")
    for phrase in ("Pass rate per check", "Most common mistakes", "loss_sum", "student_077"):
        assert phrase in shown
    tab.screenshot(tmp_path / "class-report.png")
    assert (tmp_path / "class-report.png").read_bytes().startswith(b"\x89PNG")
