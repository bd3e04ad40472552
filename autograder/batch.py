"""Grading a whole class: judge processes on every core, one sandboxed process per submission.

Each judge worker is a fresh (spawned) process that starts its own fork server and runs the
hidden checks with one pytest session per chunk of submissions. Records come back to this
process, which writes each atomically as soon as its chunk is done. Nothing here runs student
code.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing import util
from pathlib import Path
from typing import Any

from .feedback import FeedbackWriter
from .judge import secret_paths
from .notebook_code import InvalidNotebook, student_code
from .records import RecordStore
from .remote import SandboxedNotebook
from .runner import SubjectReport, max_score, run_checks
from .sandbox import Limits, Sandbox
from .submissions import Submission
from .verdicts import INVALID, classify, record

_sandbox: Sandbox | None = None
_limits: Limits | None = None
_feedback: FeedbackWriter | None = None


def _start_worker(limits: Limits, hidden: list[Path], out: Path, course: Path | None) -> None:
    global _sandbox, _limits, _feedback
    _limits = limits
    _sandbox = Sandbox(limits, hidden)
    _feedback = FeedbackWriter(out, course)
    util.Finalize(None, _sandbox.close, exitpriority=10)


def observations_of(report: SubjectReport) -> list[dict[str, Any]]:
    """The questions asked and the student's answers, kept for feedback pages."""
    return [
        {"question": list(question), "answer": answer.to_json()}
        for question, answer in report.answers.items()
    ]


def grade_chunk(chunk: Sequence[Submission]) -> list[dict[str, Any]]:
    """Grade some submissions in this worker and write their feedback pages; one record each."""
    records = _judge_chunk(chunk)
    assert _feedback is not None
    for finished in records:
        _feedback.write(finished)
    return records


def _judge_chunk(chunk: Sequence[Submission]) -> list[dict[str, Any]]:
    assert _sandbox is not None and _limits is not None
    most = max_score()
    records: list[dict[str, Any]] = []
    subjects: list[SandboxedNotebook] = []
    for submission in chunk:
        if submission.notebook is None:
            records.append(record(submission.student, INVALID, most, submission.problem, []))
            continue
        try:
            code = student_code(submission.notebook)
        except InvalidNotebook as invalid:
            records.append(record(submission.student, INVALID, most, str(invalid), []))
            continue
        subjects.append(SandboxedNotebook(submission.student, code, _sandbox))

    def finished(report: SubjectReport) -> None:
        subject: SandboxedNotebook = report.subject  # type: ignore[assignment]
        status, message = classify(
            report.results, report.unavailable, subject.timed_out, _limits.wall_seconds
        )
        records.append(
            record(
                subject.id,
                status,
                most,
                message,
                report.results,
                notes=subject.notes(),
                output=subject.output(),
                observations=observations_of(report),
            )
        )

    if subjects:
        run_checks(subjects, on_done=finished)
    return records


@dataclass(frozen=True)
class BatchRun:
    graded_now: int
    skipped: int
    seconds: float
    isolation: list[str]


def _chunks(items: list[Submission], workers: int) -> list[list[Submission]]:
    size = max(1, min(25, len(items) // (workers * 4) or 1))
    return [items[i : i + size] for i in range(0, len(items), size)]


def grade_all(
    submissions: list[Submission],
    store: RecordStore,
    limits: Limits,
    workers: int,
    force: bool,
    hidden: list[Path],
    course_root: Path | None,
    advance: Callable[[int], None],
) -> BatchRun:
    """Grade what is not recorded yet (everything with `force`), recording as chunks finish."""
    started = time.monotonic()
    todo = [s for s in submissions if force or not store.has(s.student)]
    advance(len(submissions) - len(todo))
    isolation: list[str] = []
    if todo:
        context = multiprocessing.get_context("spawn")
        setup = (limits, secret_paths(*hidden), store.out_dir, course_root)
        with context.Pool(workers, _start_worker, setup) as pool:
            isolation = pool.apply(_isolation_layers)
            for records in pool.imap_unordered(grade_chunk, _chunks(todo, workers)):
                for finished in records:
                    store.write(finished)
                advance(len(records))
            pool.close()
            pool.join()
    return BatchRun(len(todo), len(submissions) - len(todo), time.monotonic() - started, isolation)


def _isolation_layers() -> list[str]:
    assert _sandbox is not None
    return list(_sandbox.layers)
