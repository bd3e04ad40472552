"""Runs the hidden checks with pytest against one or many students.

A pytest plugin parametrizes the session-scoped `student` fixture over the subjects, so pytest
runs every check of one subject before moving to the next (one student process alive at a
time per runner) and one pytest session serves a whole batch. Checks run in the order of the
notebook's graded cells; before a check runs, the student's notebook is moved on to the graded
cell of the check's category. Each check's marker gives its id and points, its module its
category; the plugin turns outcomes into `CheckResult`s.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import pytest

from autograder.exercise import CATEGORIES, LOSS_CATEGORY
from autograder.inside.observations import Answer, UpdateRun
from autograder.judge.check import CHECKS_DIR, CheckFailed
from autograder.judge.fault import GraderFault
from autograder.judge.hidden_inputs import draw
from autograder.judge.record import CheckResult, CheckSpec
from autograder.judge.reference import Reference, ieee_arithmetic
from autograder.judge.results import shows_own_training
from autograder.judge.student import AnswerLog, Session, StudentUnavailable


class Subject(Protocol):
    """Something the checks can be run against: a notebook namespace, a sandboxed process."""

    id: str
    seed: int  # of its hidden inputs

    def open(self) -> AbstractContextManager[Session]: ...


@dataclass
class SubjectReport:
    subject: Subject
    results: list[CheckResult] = field(default_factory=list)
    answers: dict[tuple[int, Any], Answer] = field(default_factory=dict)
    training: UpdateRun | None = None  # the notebook's own training run, with the own loss
    unavailable: str | None = None  # why the student's code could not be asked at all
    fault: str | None = None  # the grader failed on this subject: a bug, not the student


@dataclass
class CheckRun:
    """One pytest session's subjects, hidden inputs and reports; the fixtures read it."""

    subjects: dict[str, Subject]
    categories: set[str]
    reference: Reference
    on_done: Callable[[SubjectReport], None] | None
    reports: dict[str, SubjectReport]

    @contextmanager
    def opened(self, subject_id: str) -> Iterator[AnswerLog]:
        """The subject's session for its checks, with its own hidden inputs; the report
        collects what it answered. A failure to open the subject fails each of its checks; a
        failure to close it after them goes into its report alone: pytest finishes a
        session-scoped fixture while it sets up the next one, so raised, it would fail the
        next subject's first check."""
        report = self.reports[subject_id]
        closing = False
        try:
            with report.subject.open() as session:
                recording = AnswerLog(session, draw(report.subject.seed, self.reference))
                try:
                    yield recording
                finally:
                    report.answers = recording.answers
                    report.training = getattr(session, "training", None)
                closing = True
        except StudentUnavailable as gone:
            report.unavailable = str(gone)
            if not closing:
                raise
        except Exception as error:  # the sandbox, or the grader, failed: not the student
            report.fault = report.fault or _fault(error)
            if not closing:
                raise
        finally:
            if self.on_done:
                try:
                    self.on_done(report)
                except Exception as error:  # one subject's failure must not end the session
                    report.fault = report.fault or _fault(error)


CHECK_RUN = pytest.StashKey[CheckRun]()


def category_of(item: pytest.Item) -> str:
    category = getattr(item.module, "CATEGORY", None)  # type: ignore[attr-defined]
    if category not in CATEGORIES:
        raise GraderFault(f"{item.nodeid} is in a module without a known CATEGORY")
    return category


def notebook_order(item: pytest.Item) -> int:
    """Checks run, and are listed, in the order of the notebook's graded cells."""
    return CATEGORIES.index(category_of(item))


class ChecksPlugin:
    """Feeds subjects to the checks and collects their results."""

    def __init__(self, run: CheckRun) -> None:
        self.run = run

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[CHECK_RUN] = self.run
        # A failed check is read from its exception (`pytest_runtest_makereport`), never from
        # pytest's report of it, so pytest is left to format none of its traceback. A check
        # that fails its own assertion is reported by message alone anyway; one that fails in
        # set-up, as every check of a student whose code cannot be asked does, had each
        # fixture's source read and parsed: 257 ms of the judge's CPU for such a student.
        config.option.tbstyle = "no"

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "student" in metafunc.fixturenames:
            ids = list(self.run.subjects)
            metafunc.parametrize("student", ids, ids=ids, indirect=True, scope="session")

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        kept, dropped = [], []
        for item in items:
            if item.get_closest_marker("check") is None:
                raise GraderFault(f"{item.nodeid} has no @check marker")
            (kept if category_of(item) in self.run.categories else dropped).append(item)
        subject_order = {subject_id: index for index, subject_id in enumerate(self.run.subjects)}
        position = {item: index for index, item in enumerate(kept)}

        def run_order(item: pytest.Item) -> tuple[int, int, int]:
            """Subject by subject; within one, in the order of the notebook's graded cells."""
            subject = subject_order[item.callspec.params["student"]]  # type: ignore[attr-defined]
            return subject, notebook_order(item), position[item]

        kept.sort(key=run_order)
        items[:] = kept
        config.hook.pytest_deselected(items=dropped)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        """Move the student's notebook on to this check's graded cell first."""
        category = category_of(item)
        subject = self.run.reports[item.callspec.params["student"]]  # type: ignore[attr-defined]
        student = item.funcargs["student"]  # type: ignore[attr-defined]
        student.reach(category, watch_training=watch_training(category, subject.results))
        return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        try:
            self._record(item, call)
        finally:
            _let_go_of_failure(call)
        return report

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """Let go of the run: pytest's configuration ends in reference cycles of its own,
        which would keep every student's answers until the next collection."""
        del config.stash[CHECK_RUN]
        del self.run

    def _record(self, item: pytest.Item, call: pytest.CallInfo[None]) -> None:
        """A check's result in its subject's report, read from the check's exception."""
        if call.when != "call" and call.excinfo is None:
            return
        subject_id = item.callspec.params["student"]  # type: ignore[attr-defined]
        subject = self.run.reports[subject_id]
        if call.when == "teardown":  # a fixture failed to finish after the check had run
            if not isinstance(call.excinfo.value, StudentUnavailable):
                subject.fault = subject.fault or _fault(call.excinfo.value)
            return
        marker = item.get_closest_marker("check").kwargs
        passed = call.excinfo is None
        message, mistake = "", None
        if not passed:
            error = call.excinfo.value
            message = error.msg if isinstance(error, CheckFailed) else str(error)
            mistake = error.mistake if isinstance(error, CheckFailed) else None
            if isinstance(error, StudentUnavailable):
                subject.unavailable = message
            elif not isinstance(error, CheckFailed):
                message = subject.fault = subject.fault or _fault(error)
        subject.results.append(
            CheckResult(
                id=marker["id"],
                category=category_of(item),
                points=float(marker["points"]) if passed else 0.0,
                max_points=float(marker["points"]),
                passed=passed,
                message=message,
                mistake=mistake,
            )
        )


def _let_go_of_failure(call: pytest.CallInfo[None]) -> None:
    """Once read, a failed check's exception is dropped and the locals of the frames it passed
    through are cleared. Kept, it holds those frames, and through them every frame up to the
    one that started the pytest session, in a cycle pytest makes (the frame that caught it
    holds it): the answers of every student of the session would wait for a collection, which
    traced them all again at the end of a judge worker's chunk."""
    if call.excinfo is not None:
        traceback.clear_frames(call.excinfo.tb)
        call.excinfo = None


def watch_training(category: str, results: list[CheckResult]) -> bool:
    """Whether the notebook's own training is watched on the way to `category`'s graded cell:
    unless the page cannot show it, because the loss's checks, which run first, are done and
    lost no points (`shows_own_training`)."""
    loss_done = CATEGORIES.index(category) > CATEGORIES.index(LOSS_CATEGORY)
    return not loss_done or shows_own_training(results)


def _fault(error: BaseException) -> str:
    return f"grader error: {type(error).__name__}: {error}"[:500]


class _Collected:
    def __init__(self) -> None:
        self.checks: list[CheckSpec] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in sorted(items, key=notebook_order):
            marker = item.get_closest_marker("check").kwargs
            self.checks.append(
                CheckSpec(str(marker["id"]), category_of(item), float(marker["points"]))
            )


@cache
def hidden_checks() -> tuple[CheckSpec, ...]:
    """Every hidden check's id, category and points, in order, without running any."""
    found = _Collected()
    _pytest_main(["--collect-only"], found)
    if not found.checks:
        raise GraderFault("no hidden checks were found")
    return tuple(found.checks)


def _pytest_main(extra: list[str], plugin: object) -> int:
    arguments = [
        str(CHECKS_DIR),
        "-c",
        str(CHECKS_DIR / "pytest.ini"),
        "--rootdir",
        str(CHECKS_DIR),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:terminal",
        "-p",
        "no:warnings",
        "-p",
        "no:logging",
        "-p",
        "no:junitxml",
        "-p",
        "no:doctest",
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "--capture=no",
        *extra,
    ]
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        return pytest.main(arguments, plugins=[plugin])
    finally:
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


def run_checks(
    subjects: Sequence[Subject],
    reference: Reference,
    categories: Sequence[str] = CATEGORIES,
    on_done: Callable[[SubjectReport], None] | None = None,
) -> dict[str, SubjectReport]:
    """Run the hidden checks of `categories` against every subject, in one pytest session,
    on the lesson of `reference`, each subject with the hidden inputs of its own seed.

    A check that breaks for one subject marks that subject's report with a fault; the others
    are graded as usual."""
    if not subjects:
        return {}
    by_id = {subject.id: subject for subject in subjects}
    if len(by_id) != len(subjects):
        raise ValueError("subject ids must be unique")
    run = CheckRun(
        subjects=by_id,
        categories=set(categories),
        reference=reference,
        on_done=on_done,
        reports={subject.id: SubjectReport(subject) for subject in subjects},
    )
    with ieee_arithmetic():
        exit_code = _pytest_main([], ChecksPlugin(run))
    if exit_code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise GraderFault(f"the hidden checks could not run (pytest exit code {exit_code})")
    return run.reports
