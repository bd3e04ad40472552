"""A failed check reaches the record from its exception alone: pytest's own report of it is
left unformatted (no check's or fixture's source read for a traceback nobody shows), and what
the students are told is unchanged. Over answers of the corpus, whose wrong checks fail as
they run, and a student whose code cannot be asked at all (it timed out, say), whose every
check fails while it is set up, with the deepest traceback; graded in this process."""

from __future__ import annotations

from contextlib import contextmanager
from typing import NoReturn

import pytest

from autograder.exercise import release_notebook
from autograder.judge import runner
from autograder.judge.reference import reference_for
from autograder.judge.runner import hidden_checks, run_checks
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
