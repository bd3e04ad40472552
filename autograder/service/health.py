"""The service's health file: what a monitor or an instructor's `cat` needs to know at once.

`serve-health.json` in the output folder, rewritten whole: whether the service is starting,
serving or stopped, how many submissions wait (arrived, not yet recorded, those being graded
included), how many it graded since it started, when it last graded one, and its last error.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.text import one_line

HEALTH_FILE = "serve-health.json"
REWRITE_SECONDS = 5.0  # rewritten at least this often, so a stale file means a stuck service


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Health:
    state: str = "starting"  # starting, serving, stopped
    queue: int = 0  # arrived and not yet recorded, being graded included
    grading: int = 0  # being graded now
    graded: int = 0  # since the service started
    last_graded_at: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None


class HealthFile:
    """Keeps `HEALTH_FILE` current, writing it when it changes or has grown old."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / HEALTH_FILE
        self.health = Health()
        self._written: Health | None = None
        self._written_at = 0.0

    def update(self, **changes: object) -> None:
        self.health = replace(self.health, **changes)  # type: ignore[arg-type]
        if self.health != self._written or time.monotonic() - self._written_at > REWRITE_SECONDS:
            self._write()

    def error(self, message: str) -> None:
        self.update(last_error=one_line(message), last_error_at=now_text())

    def _write(self) -> None:
        document = asdict(self.health) | {"pid": os.getpid(), "updated_at": now_text()}
        write_atomically(self.path, json.dumps(document, indent=1) + "\n", durable=False)
        self._written, self._written_at = self.health, time.monotonic()
