"""Fixtures every check can ask for. They read the grading run the runner's plugin set up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..reference import Lesson, the_lesson
from ..runner import CHECK_RUN
from ..student import RecordingStudent
from .hidden_inputs import HiddenInputs


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Iterator[RecordingStudent]:
    """The student whose work is checked (one per parametrized subject)."""
    with request.config.stash[CHECK_RUN].opened(request.param) as recording:
        yield recording


@pytest.fixture(scope="session")
def lesson() -> Lesson:
    return the_lesson()


@pytest.fixture(scope="session")
def unseen(request: pytest.FixtureRequest) -> HiddenInputs:
    """This grading run's hidden inputs."""
    return request.config.stash[CHECK_RUN].hidden
