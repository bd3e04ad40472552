"""Answers graded the way the sandbox grades them, but inside the test process (fast, no
isolation): the notebook planned from the release, its steps run by the same student-side
`Responder`, every message through the same encoder and decoder, the same checks."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import nbformat
import torch

from autograder.exercise import release_notebook
from autograder.inside.responder import Responder
from autograder.intake.notebook import load_release, plan_cells
from autograder.judge.record import Record, max_score
from autograder.judge.runner import SubjectReport, hidden_checks, run_checks
from autograder.judge.session import RemoteSession
from autograder.judge.status import record_of
from autograder.sandbox import Limits
from autograder.sandbox.protocol import ChannelClosed, decode, encode
from tests.corpus.answers import Answer
from tests.support.notebooks import notebook_for

SEED = 20261125


class InProcessChannel:
    """Stands in for a sandboxed `ConfinedProcess`: requests go to a `Responder` here."""

    def __init__(self) -> None:
        self.responder = Responder()

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            reply = self.responder.handle(decode(encode(message)))
        if reply is None:
            raise ChannelClosed("the responder stopped")
        return decode(encode(reply))

    def remaining_seconds(self) -> float:
        return 600.0


class AnswerInProcess:
    """A runner subject: the release filled in with one answer, graded in this process."""

    def __init__(self, answer: Answer) -> None:
        self.id = answer.name
        self.answer = answer
        self.student: RemoteSession | None = None

    @contextmanager
    def open(self) -> Iterator[RemoteSession]:
        notebook = json.loads(nbformat.writes(notebook_for(self.answer)))
        plan = plan_cells(notebook, load_release(release_notebook()))
        self.student = RemoteSession(InProcessChannel())  # type: ignore[arg-type]
        try:
            self.student.start(plan)
            yield self.student
        finally:
            torch.set_default_dtype(torch.float32)

    limit_hit = None


def reports_for(answers: list[Answer], seed: int = SEED) -> dict[str, SubjectReport]:
    return run_checks([AnswerInProcess(answer) for answer in answers], seed)


def records_for(answers: list[Answer], seed: int = SEED) -> list[Record]:
    """Records as the batch grader makes them, observations included."""
    most = max_score(hidden_checks())
    return [
        record_of(report, Limits(), seed, notes=[], output="", max_score=most)
        for report in reports_for(answers, seed).values()
    ]
