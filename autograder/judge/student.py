"""The one door through which checks reach a student's functions.

Checks ask two kinds of question — "what does your loss do on these numbers?" and "what does
`update()` do to this parameter?" — and get back plain observations. A `Session` answers them:
across a process boundary for a sandboxed notebook (`session.RemoteSession`), or in the same
process for nbgrader's graded cells (`in_notebook`). `AnswerLog` sits between the checks
and a session: it asks each distinct question once per notebook state and keeps every answer
for the record and the feedback.
"""

from __future__ import annotations

from typing import Protocol

from autograder import exercise
from autograder.inside.observations import (
    Answer,
    LossQuestion,
    LossRun,
    Question,
    UpdateQuestion,
    UpdateRun,
)


class StudentUnavailable(Exception):
    """The student's code could not answer (it crashed, timed out, or broke the protocol).

    The message is written for the student; checks that meet it fail with it.
    """


class Session(Protocol):
    """A student's notebook that can be advanced to a graded cell and asked questions."""

    state: int  # changes whenever student cells have run, so earlier answers may be stale

    def reach(self, category: str) -> None: ...

    def reusable_training(self) -> UpdateRun | None: ...

    def ask(self, questions: list[Question]) -> list[Answer]: ...


class Student(Protocol):
    """What a check may ask of a student's work."""

    def loss(self, y: list[float], y_guess: list[float], repeat: int = 0) -> LossRun: ...

    def updates(self, start: list[float], calls: int, own_loss: bool = False) -> UpdateRun: ...


TRAINING_QUESTION = UpdateQuestion(exercise.FIRST_GUESS, exercise.EPOCHS)


class AnswerLog:
    """Asks each distinct question once per notebook state and keeps every answer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.answers: dict[tuple[int, Question], Answer] = {}
        self.loss_right = False  # every loss check passed: the student's loss is a correct one

    def reach(self, category: str) -> None:
        self.session.reach(category)

    def loss(self, y: list[float], y_guess: list[float], repeat: int = 0) -> LossRun:
        answer = self._ask(LossQuestion(tuple(y), tuple(y_guess), repeat))
        assert isinstance(answer, LossRun)
        return answer

    def updates(self, start: list[float], calls: int, own_loss: bool = False) -> UpdateRun:
        """From the lesson's first guess, the whole training run is asked for once.

        The state after call k of a run does not depend on the calls after it, so shorter
        questions from the first guess read the start of that run.
        """
        if tuple(start) == exercise.FIRST_GUESS and calls < exercise.EPOCHS:
            return self.updates(start, exercise.EPOCHS, own_loss).first(calls)
        question = UpdateQuestion(tuple(start), calls, own_loss)
        if question == TRAINING_QUESTION and self.loss_right:
            # With a correct loss, the notebook's own training is the run the question asks
            # for; taking it spares the student process a second hundred calls.
            training = self.session.reusable_training()
            if training is not None:
                self.answers.setdefault((self.session.state, question), training)
        answer = self._ask(question)
        assert isinstance(answer, UpdateRun)
        return answer

    def _ask(self, question: Question) -> Answer:
        key = (self.session.state, question)
        if key not in self.answers:
            self.answers[key] = self.session.ask([question])[0]
        return self.answers[key]
