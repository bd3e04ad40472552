"""A judge worker of a run that knows its lesson sets up the figures of its feedback pages
while the fork server it shares warms up, so that the first page of a run that grades one
changed notebook does not wait for them; a run that writes no pages, or does not know its
lesson yet, sets up nothing ahead."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from autograder.batch import worker
from autograder.batch.grading import SandboxSettings, judge_workers, shared_sandbox
from autograder.batch.worker import GradingSetup
from autograder.exercise import release_notebook
from autograder.feedback.paths import FeedbackPlace
from autograder.sandbox import Limits
from tests.support.lesson import lesson_in_process

pytestmark = pytest.mark.slow


def figures_drawn() -> int:
    """In a worker: how many lessons' page figures it has set up."""
    from autograder.feedback.pages import plotter_for

    return plotter_for.cache_info().currsize


def drawn_before_the_first_task(preparation: Callable[[], object] | None) -> int:
    """How many lessons' figures a worker started with `preparation` has set up; the worker
    must also be ready to grade (its sandbox started, its checks loaded)."""
    settings = SandboxSettings(Limits.for_wall_clock(10), ())
    with (
        shared_sandbox(settings, launches=1) as share,
        ProcessPoolExecutor(
            1, judge_workers(), worker.start_joined, (share, 1, preparation)
        ) as pool,
    ):
        drawn = pool.submit(figures_drawn).result(timeout=120)
        facts = pool.submit(worker.facts).result(timeout=120)
    assert facts.isolation and facts.checks
    return drawn


def setup(tmp_path: Path, writes_pages: bool, knows_lesson: bool) -> GradingSetup:
    """A `grade` run's setup: its pages set up with the lesson, when it knows it."""
    pages = FeedbackPlace(tmp_path, None)
    return GradingSetup(
        release_notebook(),
        seed=1,
        grader_hash="",
        after_each=pages.write if writes_pages else None,
        lesson=lesson_in_process(release_notebook()) if knows_lesson else None,
        prepare=pages.set_up if writes_pages else None,
    )


def test_a_worker_of_a_run_that_knows_its_lesson_draws_its_pages_figures_first(tmp_path):
    assert drawn_before_the_first_task(setup(tmp_path, True, True).preparation) == 1


@pytest.mark.parametrize(("writes_pages", "knows_lesson"), [(True, False), (False, True)])
def test_a_worker_draws_nothing_ahead_without_pages_or_a_lesson(
    tmp_path: Path, writes_pages: bool, knows_lesson: bool
):
    run = setup(tmp_path, writes_pages, knows_lesson)
    assert run.preparation is None
    assert drawn_before_the_first_task(run.preparation) == 0


def failing_preparation() -> None:
    raise RuntimeError("the figures cannot be drawn")


def test_a_preparation_that_fails_leaves_the_worker_ready_to_grade():
    """What fails ahead fails again where it is reported: in the first page's record."""
    assert drawn_before_the_first_task(failing_preparation) == 0
