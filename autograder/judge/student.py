"""The one door through which checks reach a student's functions.

Checks ask three kinds of question — "what does your loss do on these numbers?", "what does it
do on `x @ a` at each position training passes through (as update() and as the training cell's
loss per epoch compute it)?" and "what do N calls of `update()` do
to this parameter?" — and get back plain observations. A `Session` answers them: across a
process boundary for a sandboxed notebook (`session.RemoteSession`), or in the same process for
nbgrader's graded cells (`in_notebook`). `AnswerLog` sits between the checks and a session: it
asks each distinct question once per notebook state and keeps every answer for the record and
the feedback.
"""

from __future__ import annotations

from typing import Protocol

from autograder.inside.observations import (
    Answer,
    LossQuestion,
    LossRun,
    LossTrainingQuestion,
    LossTrainingRun,
    Question,
    UpdateQuestion,
    UpdateRun,
)
from autograder.judge.hidden_inputs import HiddenInputs


class StudentUnavailable(Exception):
    """The student's code could not answer (it crashed, timed out, or broke the protocol).

    The message is written for the student; checks that meet it fail with it.
    """


class Session(Protocol):
    """A student's notebook that can be advanced to a graded cell and asked questions."""

    state: int  # changes whenever student cells have run, so earlier answers may be stale

    def reach(self, category: str, watch_training: bool = True) -> None: ...

    def ask(self, questions: list[Question]) -> list[Answer]: ...


class Student(Protocol):
    """What a check may ask of a student's work."""

    hidden: HiddenInputs  # the inputs this submission is asked about and never shown

    def loss(
        self, y: list[float], y_guess: list[float], repeat: int = 0, plain: bool = False
    ) -> LossRun: ...

    def loss_training(self, positions: list[tuple[float, ...]]) -> LossTrainingRun: ...

    def updates(self, start: list[float], calls: int) -> UpdateRun: ...


class AnswerLog:
    """Asks each distinct question once per notebook state and keeps every answer."""

    def __init__(self, session: Session, hidden: HiddenInputs) -> None:
        self.session = session
        self.hidden = hidden
        self.answers: dict[tuple[int, Question], Answer] = {}

    def reach(self, category: str, watch_training: bool = True) -> None:
        self.session.reach(category, watch_training)

    def loss(
        self, y: list[float], y_guess: list[float], repeat: int = 0, plain: bool = False
    ) -> LossRun:
        answer = self._ask(LossQuestion(tuple(y), tuple(y_guess), repeat, plain))
        assert isinstance(answer, LossRun)
        return answer

    def loss_training(self, positions: list[tuple[float, ...]]) -> LossTrainingRun:
        answer = self._ask(LossTrainingQuestion(tuple(tuple(p) for p in positions)))
        assert isinstance(answer, LossTrainingRun)
        return answer

    def updates(self, start: list[float], calls: int) -> UpdateRun:
        answer = self._ask(UpdateQuestion(tuple(start), calls))
        assert isinstance(answer, UpdateRun)
        return answer

    def _ask(self, question: Question) -> Answer:
        key = (self.session.state, question)
        if key not in self.answers:
            self.answers[key] = self.session.ask([question])[0]
        return self.answers[key]
