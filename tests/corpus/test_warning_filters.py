"""The warning filters a notebook sets hold for its functions as they held in Jupyter, over
the whole class (`tests.corpus.warning_filters`), graded in-process, as the corpus is."""

from __future__ import annotations

import pytest

from tests.corpus.warning_filters import CASES, answer_setting, must_lose
from tests.support.inprocess import reports_for


@pytest.fixture(scope="module")
def lost() -> dict[tuple[str, str, str], set[str]]:
    answers = {case: answer_setting(*case) for case in CASES}
    reports = reports_for(list(answers.values()))
    return {
        case: {result.category for result in reports[answer.name].results if not result.passed}
        for case, answer in answers.items()
    }


@pytest.mark.parametrize(("action", "place", "warns"), CASES)
def test_a_function_that_warns_raises_exactly_where_jupyter_made_it_an_error(
    lost: dict[tuple[str, str, str], set[str]], action: str, place: str, warns: str
) -> None:
    assert lost[(action, place, warns)] == must_lose(action, place, warns)
