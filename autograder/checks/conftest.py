"""Fixtures every check can ask for; the `student` fixture comes from the runner's plugin."""

from __future__ import annotations

import pytest

from ..reference import Lesson, the_lesson


@pytest.fixture(scope="session")
def lesson() -> Lesson:
    return the_lesson()
