"""The hidden checks against answers students write, run in-process (no sandbox)."""

from __future__ import annotations

import pytest

from autograder.checks import CATEGORIES
from autograder.record import Record
from tests.answers import CORRECT, WRONG
from tests.inprocess import records_for

MAX_SCORE = 12.0


@pytest.fixture(scope="module")
def reports() -> dict[str, Record]:
    return {record.student: record for record in records_for(CORRECT + WRONG)}


def lost_categories(record: Record) -> set[str]:
    return {result.category for result in record.checks if not result.passed}


def test_every_check_has_a_stable_id_a_known_category_and_points(reports):
    results = reports["reference"].checks
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids))
    assert {r.category for r in results} == set(CATEGORIES)
    assert sum(r.max_points for r in results) == MAX_SCORE


@pytest.mark.parametrize("answer", CORRECT, ids=lambda answer: answer.name)
def test_correct_answers_in_any_style_get_full_marks(reports, answer):
    record = reports[answer.name]
    failures = [f"{r.id}: {r.message}" for r in record.checks if not r.passed]
    assert failures == []
    assert record.score == MAX_SCORE
    assert record.mistakes == []


@pytest.mark.parametrize("answer", WRONG, ids=lambda answer: answer.name)
def test_each_mistake_loses_points_exactly_in_its_categories(reports, answer):
    record = reports[answer.name]
    assert lost_categories(record) == answer.loses
    messages = " | ".join(r.message for r in record.checks if not r.passed)
    assert answer.says in messages
    named = [mistake.key for _, mistake in record.mistakes]
    assert named[:1] == ([answer.mistake] if answer.mistake else [])
    assert answer.mistake or not named


def test_the_wrong_answer_corpus_is_large_enough():
    assert len(WRONG) >= 25
    assert len(CORRECT) >= 8
