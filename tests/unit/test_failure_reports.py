"""A failed check reaches the record from its exception alone: pytest's own report of it is
left unformatted (no check's or fixture's source read for a traceback nobody shows), and what
the students are told is unchanged; once read, nothing of it keeps a student's answers alive
for the garbage collector to find. Over answers of the corpus, whose wrong checks fail as
they run, a student whose code cannot be asked at all (it timed out, say), whose every check
fails while it is set up, with the deepest traceback, and one whose session fails to close
after its checks; graded in this process."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import NoReturn

import pytest

from autograder.exercise import release_notebook
from autograder.judge import runner
from autograder.judge.reference import reference_for
from autograder.judge.runner import hidden_checks, run_checks
from autograder.judge.session import RemoteSession
from autograder.judge.student import StudentUnavailable
from tests.corpus.answers import CORRECT, WRONG
from tests.support.inprocess import SEED, AnswerInProcess
from tests.support.lesson import lesson_in_process

GONE = "your notebook ran out of time"
ANSWERS = [CORRECT[0], *WRONG[:6]]


class Unavailable:
    """A student whose process cannot be asked anything."""

    id, seed = "unavailable", SEED

    @contextmanager
    def open(self) -> NoReturn:
        raise StudentUnavailable(GONE)


def test_a_failed_check_is_reported_without_its_traceback_formatted(
    monkeypatch: pytest.MonkeyPatch, corpus_records
) -> None:
    failures = []

    class Watched(runner.ChecksPlugin):
        def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
            if report.failed:
                failures.append(report.longrepr)

    monkeypatch.setattr(runner, "ChecksPlugin", Watched)
    release = release_notebook()
    lesson = lesson_in_process(release)
    subjects = [AnswerInProcess(answer, lesson, SEED, release) for answer in ANSWERS]
    reports = run_checks([*subjects, Unavailable()], reference_for(lesson))
    assert len(failures) > len(hidden_checks())
    for longrepr in failures:
        for entry in longrepr.reprtraceback.reprentries:
            assert entry.style in ("no", "value")  # "value": a `CheckFailed`'s message alone
    for answer in ANSWERS:
        graded = {result.id: result.message for result in reports[answer.name].results}
        kept = {check.id: check.message for check in corpus_records[answer.name].checks}
        assert graded == kept, answer.name
    unavailable = reports[Unavailable.id]
    assert unavailable.unavailable == GONE
    assert [result.message for result in unavailable.results] == [GONE] * len(hidden_checks())


class ClosesBadly(AnswerInProcess):
    """A student whose checks all run, and whose session then fails to close."""

    @contextmanager
    def open(self) -> Iterator[RemoteSession]:
        with super().open() as session:
            yield session
        raise RuntimeError("the session failed to close")


def test_a_students_answers_are_freed_with_its_report_without_a_collection(
    corpus_records,
) -> None:
    """pytest keeps a failed check's exception in a reference cycle, and with it every frame
    up to the one that started the session; and its configuration, a cycle too, holds the
    kit's plugin. Neither may keep the answers: a judge worker's chunk is collected once, at
    its end, which would trace every one of them again. (Answers whose code raised while it
    was asked are left out: in this process the student's side keeps its own exceptions,
    whose frames lead back through the judge's; a student process shares none of them.)"""
    release = release_notebook()
    lesson = lesson_in_process(release)
    answers = [
        answer
        for answer in [*CORRECT[:2], *WRONG]
        if not any(_raised(seen) for seen in corpus_records[answer.name].observations)
    ]
    subjects = [
        *(AnswerInProcess(answer, lesson, SEED, release) for answer in answers),
        ClosesBadly(replace(WRONG[0], name="closes_badly"), lesson, SEED, release),
        Unavailable(),
    ]
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        reports = run_checks(subjects, reference_for(lesson))
        held = [
            weakref.ref(kept)
            for report in reports.values()
            for kept in [*report.answers.values(), report.training]
            if kept is not None
        ]
        failed = sum(not result.passed for report in reports.values() for result in report.results)
        faults = [report.fault for report in reports.values() if report.fault]
        del reports, subjects
        alive = sum(ref() is not None for ref in held)
    finally:
        if enabled:
            gc.enable()
    assert len(answers) > 40 and failed > len(answers) and len(held) > 10 * len(answers)
    assert faults and all("failed to close" in fault for fault in faults)
    assert alive == 0, f"{alive} of {len(held)} answers kept alive until a collection"


def _raised(observed: object) -> bool:
    """Whether an observation, as a record keeps it, says the student's code raised."""
    if isinstance(observed, dict):
        return bool(observed.get("error")) or any(_raised(value) for value in observed.values())
    if isinstance(observed, list):
        return any(_raised(value) for value in observed)
    return False
