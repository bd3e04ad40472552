"""Checks on one side, student code in a sandboxed process on the other.

`SandboxedNotebook` is a runner subject: opening it launches a sandboxed process that runs the
submission's notebook up to its first graded cell; `RemoteSession` moves it on from graded
cell to graded cell, forwards the checks' questions, and rebuilds observations from the plain
JSON answers. Anything other than a well-formed answer in time makes the student unavailable,
with a message in the student's terms.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from autograder.inside.observations import (
    Answer,
    MalformedObservation,
    Question,
    UpdateRun,
    answer_from_json,
)
from autograder.intake.notebook import NotebookPlan
from autograder.judge.record import Status, Timings
from autograder.judge.student import StudentUnavailable
from autograder.lesson import Lesson
from autograder.sandbox import (
    ConfinedProcess,
    NotConfined,
    ProcessOutcome,
    Sandbox,
    SandboxError,
)
from autograder.sandbox.protocol import ChannelClosed, ProtocolError, ReplyTimeout
from autograder.text import printable

_MAX_LINES = 20
MAX_PRINTED = 8000  # of what the notebook's cells printed, kept for the student's page


_OUT_OF_TIME = "your code did not answer in time (time limit)"
_CRASHED = (
    "your code stopped the grading process (it exited or crashed) before all checks could run"
)


def _why_closed(process: ConfinedProcess) -> str:
    """Why a process closed its channel, in the student's terms, from its outcome (asked
    once: it is kept for the session's end). `SandboxError` when the fork server cannot say
    (it died, and its students with it), `NotConfined` when it failed to set the process up:
    neither is the student's doing, whatever the process printed or exited with."""
    outcome = process.finish()
    if (failure := outcome.setup_failure()) is not None:
        raise NotConfined(f"a student process could not be set up ({printable(failure, 300)})")
    return _OUT_OF_TIME if outcome.stopped_at_a_limit else _CRASHED


class RemoteSession:
    """A `Session` whose notebook runs in a sandboxed process."""

    def __init__(self, process: ConfinedProcess) -> None:
        self.process = process
        # why no more can be asked: the student's doing, or the sandbox's (`SandboxError`)
        self.broken: StudentUnavailable | SandboxError | None = None
        self.timed_out = False
        self.at: str | None = None  # the graded cell the notebook has stopped at
        self.state = 0
        self.said: list[str] = []  # cell errors and notes, for the student
        self.training: UpdateRun | None = None  # the notebook's own training run
        self.printed = ""  # what the notebook's own cells printed (never what answers did)
        self._ids = itertools.count(1)
        self.cell_seconds = 0.0  # the student process's own time running cells
        self.question_seconds = 0.0  # from asking a question to holding its answer
        self.overhead = 0.0  # round trips spent on anything but the student's own work

    def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.broken:
            raise self.broken
        try:
            return self.process.request(message, timeout=self.process.answer_seconds())
        except ReplyTimeout:
            self.timed_out = True
            self.broken = StudentUnavailable(_OUT_OF_TIME)
        except ChannelClosed:
            try:
                self.broken = StudentUnavailable(_why_closed(self.process))
            except SandboxError as failure:
                self.broken = failure
        except ProtocolError as error:
            self.broken = _malformed(error)
        raise self.broken

    def _timed(self, message: dict[str, Any]) -> dict[str, Any]:
        """`_request`, counting the student's own time apart from the round trip's. A request
        that gets no reply (the student ran out of time, or died) counts wholly as the
        student's: the wait was theirs, not the checks'."""
        started = time.perf_counter()
        reply: dict[str, Any] = {}
        try:
            reply = self._request(message)
            return reply
        finally:
            took = time.perf_counter() - started
            own = reply.get("seconds")
            own = float(own) if isinstance(own, (int, float)) and 0 <= own <= took else took
            if message.get("op") == "ask":
                self.question_seconds += took
            else:
                self.cell_seconds += own
                self.overhead += took - own

    def start(self, plan: NotebookPlan, lesson: Lesson) -> None:
        """Hand over the steps and the lesson's data, and wait until the notebook reaches its
        first graded cell."""
        steps = [step.to_json() for step in plan.steps]
        request = {"op": "start", "steps": steps, "lesson": lesson.for_student()}
        self._arrived(self._timed(request))

    def reach(self, category: str, watch_training: bool = True) -> None:
        """Run the notebook on until the graded cell of `category`, watching what its own
        training cell does (for the student's page) when `watch_training`."""
        while self.at != category:
            if self.at is None:
                raise StudentUnavailable(f"the notebook has no graded cell for {category}")
            self._arrived(self._timed({"op": "continue", "watch_training": watch_training}))

    def _arrived(self, reply: dict[str, Any]) -> None:
        at, ran = reply.get("at"), reply.get("ran")
        if (at is not None and not isinstance(at, str)) or not isinstance(ran, int):
            self._broken(_malformed(ProtocolError("not a report of cells run")))
        self.at = at
        if ran:
            self.state += 1
        for line in [*_texts(reply.get("cell_errors")), *_texts(reply.get("notes"))]:
            if len(self.said) < _MAX_LINES:
                self.said.append(f"while running your notebook: {line}")
        printed = reply.get("output")
        if isinstance(printed, str):
            self.printed = (self.printed + printed)[:MAX_PRINTED]
        if reply.get("training") is not None:
            try:
                self.training = UpdateRun.from_json(reply["training"])
            except MalformedObservation as error:
                self._broken(_malformed(error))

    def ask(self, questions: list[Question]) -> list[Answer]:
        request_id = next(self._ids)
        reply = self._timed(
            {"op": "ask", "id": request_id, "questions": [q.to_json() for q in questions]}
        )
        raw = reply.get("answers")
        if reply.get("id") != request_id or not isinstance(raw, list) or len(raw) != len(questions):
            self._broken(_malformed(ProtocolError(str(reply.get("error") or "not an answer"))))
        try:
            return [answer_from_json(q, answer) for q, answer in zip(questions, raw, strict=True)]
        except (MalformedObservation, ValueError, TypeError, OverflowError) as error:
            self._broken(_malformed(error))

    def _broken(self, why: StudentUnavailable) -> Any:
        self.broken = why
        raise why


def _malformed(error: Exception) -> StudentUnavailable:
    return StudentUnavailable(
        f"the grading process sent a malformed answer ({printable(str(error), 300)})"
    )


def _texts(raw: Any) -> list[str]:
    """Short lines of text from an untrusted list, dropping anything else."""
    if not isinstance(raw, list):
        return []
    return [printable(item, 300) for item in raw[:_MAX_LINES] if isinstance(item, str)]


@dataclass
class SandboxedNotebook:
    """One submission, graded by running its notebook in `sandbox` on `lesson`."""

    id: str
    seed: int  # of its hidden inputs
    plan: NotebookPlan
    lesson: Lesson
    sandbox: Sandbox
    outcome: ProcessOutcome | None = None
    student: RemoteSession | None = None
    launch_seconds: float = 0.0
    total_seconds: float = 0.0

    @contextmanager
    def open(self) -> Iterator[RemoteSession]:
        """A session whose notebook has reached its first graded cell. A process the sandbox
        failed to set up is launched once more (nothing of the student's ran in it); a second
        failure is the grader's (`NotConfined`), never the student's."""
        started = time.perf_counter()
        process = self._launched(started)
        try:
            try:
                self.student = RemoteSession(process)
                self.student.start(self.plan, self.lesson)
            except NotConfined:
                process = self._launched(started)
                self.student = RemoteSession(process)
                self.student.start(self.plan, self.lesson)
            yield self.student
        finally:
            self.outcome = process.finish()
            self.total_seconds = time.perf_counter() - started

    def _launched(self, started: float) -> ConfinedProcess:
        """A new student process; the launch time counts from `started`."""
        try:
            process = self.sandbox.launch({})
        except SandboxError:  # the fork server died (killed, or out of memory): start anew
            self.sandbox.restart()
            process = self.sandbox.launch({})
        self.launch_seconds = time.perf_counter() - started
        return process

    def timings(self) -> Timings:
        """Where this submission's grading spent its time so far (record and page apart)."""
        session = self.student
        if session is None:
            return Timings(launch=self.launch_seconds)
        launch = self.launch_seconds + session.overhead
        spent = launch + session.cell_seconds + session.question_seconds
        return Timings(
            launch=launch,
            cells=session.cell_seconds,
            questions=session.question_seconds,
            checks=max(0.0, self.total_seconds - spent),
        )

    @property
    def limit_hit(self) -> Status | None:
        """The time limit that stopped the student's code, if one did."""
        if self.outcome is not None and self.outcome.stopped_at_a_limit:
            return Status(self.outcome.ended)
        if self.student is not None and self.student.timed_out:
            return Status.TIMEOUT
        return None

    def notes(self) -> list[str]:
        said = self.student.said if self.student else []
        return [*self.plan.notes, *said]

    def output(self) -> str:
        """The start of what the notebook's cells printed; never what the student's code
        printed while it answered the hidden questions."""
        return self.student.printed if self.student else ""
