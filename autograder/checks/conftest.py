"""Fixtures every check can ask for. They read the grading run the runner's plugin set up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from autograder.judge.reference import Reference
from autograder.judge.runner import CHECK_RUN
from autograder.judge.student import AnswerLog


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Iterator[AnswerLog]:
    """The student whose work is checked (one per parametrized subject), with the hidden
    inputs of their submission (`student.hidden`)."""
    with request.config.stash[CHECK_RUN].opened(request.param) as recording:
        yield recording


@pytest.fixture(scope="session")
def reference(request: pytest.FixtureRequest) -> Reference:
    """The judge's float64 copy of the lesson, with the correct answers."""
    return request.config.stash[CHECK_RUN].reference
