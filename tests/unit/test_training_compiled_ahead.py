"""A training cell compiled by the fork server is replayed as one compiled where it runs.

`replay.compile_ahead` compiles the release's read-only cells, as a training cell is
compiled for its replays, before any student process is forked. The class: any cell text
(Python, magics, broken code, code that warns as it compiles) replayed under any label gives
the same code, field for field and named after that label, and the same names bound, or the
same failure and warnings, whether it was compiled ahead or not; the release's training cell,
compiled ahead, is replayed without being transformed or compiled again.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from IPython.core.inputtransformer2 import TransformerManager

from autograder.exercise import release_notebook
from autograder.inside import replay
from autograder.inside.replay import TrainingReplay, compile_ahead
from autograder.intake.notebook import TRAINING_CELL, load_release
from tests.support.cells import LINES, code_fields

lines = st.one_of(
    st.sampled_from((*LINES, "assert (x, 'always true')", "'\\d'", "nul = '\x00'")),
    st.text(max_size=30),
)
cells = st.lists(lines, min_size=1, max_size=5).map("\n".join)
labels = st.sampled_from(["cell 18", "cell 3", "<training>"])


@contextlib.contextmanager
def nothing_ahead() -> Iterator[None]:
    """No source compiled ahead before, nor after."""
    saved = dict(replay._compiled_ahead)
    replay._compiled_ahead.clear()
    try:
        yield
    finally:
        replay._compiled_ahead.clear()
        replay._compiled_ahead.update(saved)


def _replayed(source: str, label: str) -> tuple:
    """What building the replay gave or raised, and what it warned."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            built = TrainingReplay(source, label)
            result = ("value", code_fields(built.code), sorted(built.bound))
        except Exception as error:  # noqa: BLE001 - the same failure is the same outcome
            result = ("raised", type(error))
    return (*result, [(warning.category, str(warning.message)) for warning in warned])


@settings(max_examples=200, deadline=None)
@given(cell=cells, label=labels)
@example(cell="assert (x, 'always true')", label="cell 18")
@example(cell="def f():\n    return [n for n in range(2)]\nx = f()", label="cell 3")
def test_a_cell_compiled_ahead_is_replayed_as_one_compiled_in_place(cell, label):
    with nothing_ahead():
        compiled_in_place = _replayed(cell, label)
        compile_ahead([cell])
        assert _replayed(cell, label) == compiled_in_place


@pytest.fixture
def nothing_compiled_ahead() -> Iterator[None]:
    with nothing_ahead():
        yield


def test_the_release_training_cell_is_replayed_without_compiling_again(
    nothing_compiled_ahead, monkeypatch
):
    release = load_release(release_notebook())
    compile_ahead(release.read_only_sources)
    training = release.cell(TRAINING_CELL)

    def asked(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(TransformerManager, "transform_cell", asked)
    monkeypatch.setattr(replay, "compile", asked, raising=False)
    built = TrainingReplay(training.source, training.label)
    assert built.code.co_filename == training.label
    with pytest.raises(AssertionError, match="compiled again"):
        TrainingReplay("a_cell_not_compiled_ahead = 1\n", "cell 99")
