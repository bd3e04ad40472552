"""Answers graded the way the sandbox grades them, but inside the test process (fast, no
isolation): the notebook planned from the release, its steps run by the same student-side
`Responder`, every message through the same encoder and decoder, the same checks."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import torch

from autograder.exercise import release_notebook
from autograder.inside.responder import Responder
from autograder.intake.notebook import load_release, plan_cells
from autograder.judge.record import Record, max_score
from autograder.judge.reference import reference_for
from autograder.judge.runner import SubjectReport, hidden_checks, run_checks
from autograder.judge.seeds import submission_seed
from autograder.judge.session import RemoteSession
from autograder.judge.status import record_of
from autograder.lesson import Lesson
from autograder.sandbox import Limits, ProcessOutcome
from autograder.sandbox.protocol import ChannelClosed, decode, encode
from tests.corpus.answers import CORRECT, WRONG, Answer
from tests.support.lesson import lesson_in_process
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

    def answer_seconds(self) -> float:
        return 600.0

    def finish(self) -> ProcessOutcome:
        """A responder that stopped did so by itself, as a process that exited."""
        return ProcessOutcome("exited", 0, None, "", output_truncated=False, confined=True)


class AnswerInProcess:
    """A runner subject: the release filled in with one answer, graded in this process."""

    def __init__(self, answer: Answer, lesson: Lesson, seed: int, release: Path) -> None:
        self.id = answer.name
        self.answer = answer
        self.lesson = lesson
        self.release = release
        self.notebook = json.loads(nbformat.writes(notebook_for(self.answer, release)))
        self.seed = submission_seed(seed, json.dumps(self.notebook, sort_keys=True))
        self.student: RemoteSession | None = None

    @contextmanager
    def open(self) -> Iterator[RemoteSession]:
        """The notebook runs in a working directory of its own, as in its sandbox; the
        warning filters it sets (warnings made errors, say) end with it, as its process would,
        and the warnings it shows are its own output, not the suite's (`record`)."""
        plan = plan_cells(self.notebook, load_release(self.release))
        self.student = RemoteSession(InProcessChannel())  # type: ignore[arg-type]
        with (
            tempfile.TemporaryDirectory(prefix="in-process-") as folder,
            contextlib.chdir(folder),
            warnings.catch_warnings(record=True),
        ):
            try:
                self.student.start(plan, self.lesson)
                yield self.student
            finally:
                torch.set_default_dtype(torch.float32)

    limit_hit = None


def reports_for(
    answers: list[Answer], seed: int = SEED, release: Path | None = None
) -> dict[str, SubjectReport]:
    """The answers filled into `release` (the shipped one by default), graded on its lesson."""
    release = release or release_notebook()
    lesson = lesson_in_process(release)
    subjects = [AnswerInProcess(answer, lesson, seed, release) for answer in answers]
    return run_checks(subjects, reference_for(lesson))


def records_for(
    answers: list[Answer], seed: int = SEED, release: Path | None = None
) -> list[Record]:
    """Records as the batch grader makes them, observations included."""
    most = max_score(hidden_checks())
    return [
        record_of(report, Limits(), notes=[], output="", max_score=most)
        for report in reports_for(answers, seed, release).values()
    ]


def corpus_records(shared: Path) -> dict[str, Record]:
    """Every answer of the corpus (`CORRECT + WRONG`) at `SEED` on the shipped release, by
    student, read back as the batch reads records. Graded once however many of the suite's
    processes ask: the first to hold the lock grades and writes them under `shared`."""
    path = shared / "corpus-records.json"
    with (shared / "corpus-records.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            records = records_for(CORRECT + WRONG)
            path.write_text(json.dumps([record.to_json() for record in records]))
    read = [Record.from_json(raw) for raw in json.loads(path.read_text())]
    return {record.student: record for record in read}
