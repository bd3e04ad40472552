"""The hidden checks against answers students write, run in-process (no sandbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from autograder.exercise import CATEGORIES
from autograder.judge.check import CHECKS_DIR
from autograder.judge.hidden_inputs import draw
from autograder.judge.in_notebook import score
from autograder.judge.record import Record
from autograder.judge.seeds import submission_seed
from tests.corpus.answers import CORRECT, REFERENCE_LOSS, WRONG
from tests.support.inprocess import SEED, records_for
from tests.support.lesson import shipped_reference

OTHER_SEED = 7

MAX_SCORE = 12.0


def lost_categories(record: Record) -> set[str]:
    return {result.category for result in record.checks if not result.passed}


def test_every_check_has_a_stable_id_a_known_category_and_points(corpus_records):
    results = corpus_records["reference"].checks
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids))
    assert {r.category for r in results} == set(CATEGORIES)
    assert sum(r.max_points for r in results) == MAX_SCORE


@pytest.mark.parametrize("answer", CORRECT, ids=lambda answer: answer.name)
def test_correct_answers_in_any_style_get_full_marks(corpus_records, answer):
    record = corpus_records[answer.name]
    failures = [f"{r.id}: {r.message}" for r in record.checks if not r.passed]
    assert failures == []
    assert record.score == MAX_SCORE
    assert record.mistakes == []


@pytest.mark.parametrize("answer", WRONG, ids=lambda answer: answer.name)
def test_each_mistake_loses_points_exactly_in_its_categories(corpus_records, answer):
    record = corpus_records[answer.name]
    assert lost_categories(record) - answer.may_lose == answer.loses
    assert str(record.status) == answer.status
    messages = " | ".join(r.message for r in record.checks if not r.passed)
    assert answer.says in messages
    named = [mistake.key for _, mistake in record.mistakes]
    assert named[:1] == ([answer.mistake] if answer.mistake else [])
    assert answer.mistake or not named


def test_the_wrong_answer_corpus_is_large_enough():
    assert len(WRONG) >= 25
    assert len(CORRECT) >= 8


def test_another_seed_asks_other_questions_and_gives_every_answer_the_same_grades(corpus_records):
    other = {record.student: record for record in records_for(CORRECT + WRONG, seed=OTHER_SEED)}
    for name, record in corpus_records.items():
        assert [(c.id, c.passed) for c in other[name].checks] == [
            (c.id, c.passed) for c in record.checks
        ], name
    first, second = draw(SEED, shipped_reference()), draw(OTHER_SEED, shipped_reference())
    assert first.starts != second.starts and first.loss_pairs != second.loss_pairs


def test_each_notebook_gets_its_own_hidden_inputs_and_the_same_notebook_the_same_ones():
    seeds = {submission_seed(SEED, notebook) for notebook in ("a", "b", "c")}
    assert len(seeds) == 3
    assert submission_seed(SEED, "a") == submission_seed(SEED, "a")
    assert submission_seed(OTHER_SEED, "a") not in seeds


def test_the_hidden_lengths_always_include_one_and_two_points_and_never_the_lessons():
    reference = shipped_reference()
    for seed in range(200):
        lengths = [len(y) for y, _ in draw(seed, reference).loss_pairs]
        assert lengths[:2] == [1, 2]
        assert reference.lesson.n not in lengths


def test_the_hidden_inputs_are_nowhere_in_the_source_tree():
    hidden = draw(SEED, shipped_reference())
    shown = {f"{value:.6g}" for start in hidden.starts for value in start}
    shown |= {f"{value:.6g}" for pair in hidden.loss_pairs for values in pair for value in values}
    for path in Path(CHECKS_DIR).parent.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [value for value in shown if value in text and len(value) > 5], path


@pytest.fixture
def float64_by_default():
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


def test_a_kernel_that_sets_float64_as_default_is_asked_the_same_questions(float64_by_default):
    assert draw(SEED, shipped_reference()) == draw_in_float32(SEED)


def test_in_a_kernel_that_sets_float64_as_default_a_correct_loss_gets_every_point(
    float64_by_default, capsys
):
    namespace: dict = {}
    exec(compile("import torch\n" + REFERENCE_LOSS, "<loss cell>", "exec"), namespace)
    assert score("loss", namespace) == 5.0, capsys.readouterr().out


def draw_in_float32(seed: int):
    torch.set_default_dtype(torch.float32)
    try:
        return draw(seed, shipped_reference())
    finally:
        torch.set_default_dtype(torch.float64)
