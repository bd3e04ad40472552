"""Headless Chromium driven through the DevTools protocol, for tests that open real pages.

The checks run in the browser itself (`Tab.evaluate`), without adding anything to the pages.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websocket

from tests.support.processes import stop

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1000, "height": 800, "deviceScaleFactor": 1, "mobile": False}
ALL_IMAGES_LOADED = "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)"


class Tab:
    """One browser tab, spoken to over the DevTools protocol's WebSocket."""

    def __init__(self, url: str) -> None:
        self.socket = websocket.create_connection(url, timeout=30, suppress_origin=True)
        self.last_id = 0
        self.events: list[dict[str, Any]] = []
        self.dialogs: list[str] = []  # every alert, confirm or prompt a page opened

    def _send(self, method: str, params: dict[str, Any]) -> int:
        self.last_id += 1
        self.socket.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        return self.last_id

    def _receive(self) -> dict[str, Any]:
        """The next message; a dialog a page opens is noted and dismissed, so that it can
        neither block the page nor go unseen."""
        message = json.loads(self.socket.recv())
        if message.get("method") == "Page.javascriptDialogOpening":
            self.dialogs.append(message["params"].get("message", ""))
            self._send("Page.handleJavaScriptDialog", {"accept": False})
        return message

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        sent = self._send(method, params)
        while True:
            message = self._receive()
            if message.get("id") == sent:
                assert "error" not in message, message["error"]
                return message["result"]
            self.events.append(message)

    def wait_for(self, event: str) -> None:
        while not any(message.get("method") == event for message in self.events):
            self.events.append(self._receive())

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"]["value"]

    def wait_until(self, expression: str, seconds: float = 30) -> None:
        """Wait until `expression` is true in the page: for pages that render with scripts."""
        deadline = time.monotonic() + seconds
        while not self.evaluate(expression):
            assert time.monotonic() < deadline, f"still not true after {seconds} s: {expression}"
            time.sleep(0.1)

    def open(self, url: str, screen: dict[str, Any]) -> None:
        self.call("Emulation.setDeviceMetricsOverride", **screen)
        self.call("Page.enable")
        self.events.clear()
        self.call("Page.navigate", url=url)
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


@contextmanager
def browser_tab(profile: Path) -> Iterator[Tab]:
    """A tab of a fresh headless Chromium with its profile in `profile`, closed afterwards.
    Its temp folder is one of its own, removed with it: a stopped Chromium leaves the folder
    of its singleton socket behind."""
    assert BROWSER is not None, "chromium is not installed: apt-get install chromium (.ci/run does)"
    with tempfile.TemporaryDirectory() as temp:
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
            env={**os.environ, "TMPDIR": temp},
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
            stop(browser, 10)
