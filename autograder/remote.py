"""Checks on one side, student code in a sandboxed process on the other.

`SandboxedNotebook` is a runner subject: opening it launches a sandboxed process that runs the
submission's cells; `RemoteStudent` forwards the checks' questions to it and rebuilds
observations from the plain JSON answers. Anything other than a well-formed answer in time
makes the student unavailable, with a message in the student's terms.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .notebook_code import StudentCode
from .observations import LossRun, MalformedObservation, UpdateRun
from .protocol import ChannelClosed, ProtocolError, ReplyTimeout
from .record import Status
from .sandbox import ProcessOutcome, Sandbox, SandboxError, StudentProcess
from .student import StudentUnavailable


class RemoteStudent:
    """A `Student` whose functions live in a sandboxed process."""

    def __init__(self, process: StudentProcess) -> None:
        self.process = process
        self.broken: StudentUnavailable | None = None
        self.timed_out = False

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.broken:
            raise self.broken
        try:
            return self.process.request(message, timeout=self.process.remaining_seconds())
        except ReplyTimeout:
            self.timed_out = True
            self.broken = StudentUnavailable("your code did not answer in time (time limit)")
        except ChannelClosed:
            self.broken = StudentUnavailable(
                "your code stopped the grading process (it exited "
                "or crashed) before all checks could run"
            )
        except ProtocolError as error:
            self.broken = _malformed(error)
        raise self.broken

    def start(self, code: StudentCode) -> list[str]:
        """Hand over the cells, wait until they have run, and return what went wrong in them."""
        ready = self.ask({"op": "start", "cells": code.cells})
        said = [*_texts(ready.get("cell_errors")), *_texts(ready.get("notes"))]
        return [f"while running your cells: {line}" for line in said]

    def loss(self, y: list[float], y_guess: list[float]) -> LossRun:
        return self._observe(LossRun, {"op": "loss", "y": y, "y_guess": y_guess})

    def updates(self, start: list[float], calls: int) -> UpdateRun:
        return self._observe(UpdateRun, {"op": "updates", "start": start, "calls": calls})

    def _observe(self, kind: Any, message: dict[str, Any]) -> Any:
        answer = self.ask(message)
        try:
            return kind.from_json(answer)
        except MalformedObservation as error:
            self.broken = _malformed(error)
            raise self.broken from None


def _malformed(error: Exception) -> StudentUnavailable:
    return StudentUnavailable(f"the grading process sent a malformed answer ({error})")


def _texts(raw: Any) -> list[str]:
    """Short lines of text from an untrusted list, dropping anything else."""
    if not isinstance(raw, list):
        return []
    return [item[:300] for item in raw[:20] if isinstance(item, str)]


@dataclass
class SandboxedNotebook:
    """One submission, graded by running its code in `sandbox`."""

    id: str
    code: StudentCode
    sandbox: Sandbox
    outcome: ProcessOutcome | None = None
    cell_problems: list[str] = field(default_factory=list)
    student: RemoteStudent | None = None

    @contextmanager
    def open(self) -> Iterator[RemoteStudent]:
        try:
            process = self.sandbox.launch({})
        except SandboxError:  # the fork server died (killed, or out of memory): start anew
            self.sandbox.restart()
            process = self.sandbox.launch({})
        try:
            self.student = RemoteStudent(process)
            self.cell_problems = self.student.start(self.code)
            yield self.student
        finally:
            self.outcome = process.finish()

    @property
    def limit_hit(self) -> Status | None:
        """The time limit that stopped the student's code, if one did."""
        ended = self.outcome.ended if self.outcome is not None else None
        if ended == "cpu_limit":
            return Status.CPU_LIMIT
        if ended == "timeout" or (self.student is not None and self.student.timed_out):
            return Status.TIMEOUT
        return None

    def notes(self) -> list[str]:
        return [*self.code.notes, *self.cell_problems]

    def output(self, limit: int = 4000) -> str:
        """The start of what the student's code printed."""
        return self.outcome.output[:limit] if self.outcome else ""
