"""The sandbox failing at any moment of one student's grading (it cannot open their process,
its fork server dies under a request, no outcome comes when it closes) makes that student's
row the grader's error, and changes no one else's verdict. Generated over the answers, their
order, the student it strikes and the moment; graded in this process, through the same
session, runner and records as the sandbox's grading."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autograder.exercise import release_notebook
from autograder.judge.record import Record, Status, max_score
from autograder.judge.reference import reference_for
from autograder.judge.runner import Subject, SubjectReport, hidden_checks, run_checks
from autograder.judge.session import RemoteSession
from autograder.judge.status import record_of
from autograder.sandbox import Limits, ProcessOutcome, SandboxError
from autograder.sandbox.protocol import ChannelClosed
from tests.corpus.answers import ALL
from tests.support.inprocess import SEED, AnswerInProcess, InProcessChannel
from tests.support.lesson import lesson_in_process


class DyingServer:
    """A student process whose fork server dies at its `nth` request: the channel closes,
    and the server never says how the process ended."""

    def __init__(self, process: InProcessChannel, nth: int) -> None:
        self.process, self.nth, self.requests = process, nth, 0
        self.dead = False

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        self.dead = self.dead or self.requests == self.nth
        self.requests += 1
        if self.dead:
            raise ChannelClosed("the student process closed the channel")
        return self.process.request(message, timeout)

    def answer_seconds(self) -> float:
        return self.process.answer_seconds()

    def finish(self) -> ProcessOutcome:
        if self.dead:
            raise SandboxError("the fork server went away before reporting an outcome")
        return self.process.finish()


class StruckSubject:
    """A subject whose sandbox fails at `moment`: "opening", "request" (its `nth` after the
    notebook's start) or "closing"."""

    def __init__(self, subject: AnswerInProcess, moment: str, nth: int) -> None:
        self.subject, self.moment, self.nth = subject, moment, nth
        self.id, self.seed = subject.id, subject.seed
        self.limit_hit = None
        self.struck = False

    @contextmanager
    def open(self) -> Iterator[RemoteSession]:
        if self.moment == "opening":
            self.struck = True
            raise SandboxError("the fork server is gone and cannot be started again")
        with self.subject.open() as session:
            server = DyingServer(session.process, self.nth)  # type: ignore[arg-type]
            if self.moment == "request":
                session.process = server  # type: ignore[assignment]
            yield session
            self.struck = self.moment == "closing" or server.dead
        if self.moment == "closing":
            raise SandboxError("no outcome from the fork server")


def rows(subjects: Sequence[Subject]) -> dict[str, Record]:
    """Each subject's row as the batch grader writes it: made the moment its checks end."""
    most = max_score(hidden_checks())
    made: dict[str, Record] = {}

    def done(report: SubjectReport) -> None:
        made[report.subject.id] = record_of(report, Limits(), notes=[], output="", max_score=most)

    run_checks(subjects, reference_for(lesson_in_process()), on_done=done)
    return made


def verdict(row: Record) -> tuple[object, ...]:
    """What a row decides: its status, its score, and each check's outcome and named
    mistake. (The numbers a student's code produced may differ in their last bits from one
    run of it to the next, as `torch.linalg.lstsq`'s do, fault or no fault.)"""
    checks = [(c.id, c.passed, c.points, c.mistake and c.mistake.key) for c in row.checks]
    return row.status, row.score, checks


BY_NAME = {answer.name: answer for answer in ALL}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(  # an answer whose own numbers differ in their last bits from one run to the next
    answers=[BY_NAME["update_jumps_to_the_fit"], BY_NAME["learning_rate_written_inside_update"]],
    struck=1,
    moment="opening",
    nth=0,
)
@given(
    answers=st.lists(st.sampled_from(ALL), min_size=2, max_size=3, unique_by=lambda a: a.name),
    struck=st.integers(0, 2),
    moment=st.sampled_from(["opening", "request", "closing"]),
    nth=st.integers(0, 30),
)
def test_the_sandbox_failing_one_student_is_their_grader_error_and_no_one_elses(
    answers: list[Any], struck: int, moment: str, nth: int
) -> None:
    release, lesson = release_notebook(), lesson_in_process()
    subjects = [AnswerInProcess(answer, lesson, SEED, release) for answer in answers]
    clean = rows(subjects)
    victim = StruckSubject(subjects[struck % len(subjects)], moment, nth)
    struck_rows = rows([victim if subject is victim.subject else subject for subject in subjects])
    for subject in subjects:
        if subject is not victim.subject:
            assert verdict(struck_rows[subject.id]) == verdict(clean[subject.id]), subject.id
    row = struck_rows[victim.id]
    if victim.struck:
        assert row.status == Status.GRADER_ERROR, row.message
        assert "not the student's fault" in row.message
    else:  # its grading asked fewer questions than `nth`
        assert verdict(row) == verdict(clean[victim.id])
