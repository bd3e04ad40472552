"""The notebook's own training run is watched only while the student's page may show it.

The page shows what training did in the student's own notebook, with their own loss, when
their loss lost points (`shows_own_training`); the judge asks for that run only while it may
be needed. The class: every answer of the corpus (each correct style and each typical
mistake), in the shipped lesson, and in a lesson whose loss is graded after its training cell,
where the run happens before anything is decided. Every record of the corpus keeps the
notebook's own run exactly when its page shows it (`test_feedback`, on the corpus graded once
for the run; here, in the second lesson, always), and the pages of correct answers and of
mistakes in the loss and in update() are the pages of records graded with the training always
watched.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from autograder.exercise import release_notebook
from autograder.feedback.pages import write_feedback_pages
from autograder.inside.observations import TRAINING
from autograder.judge import runner
from autograder.judge.record import CheckResult, Record
from autograder.judge.results import shows_own_training
from tests.corpus.answers import CORRECT, WRONG
from tests.support.inprocess import records_for
from tests.support.lesson import lesson_in_process

LOSS_MISTAKES = [answer for answer in WRONG if answer.name.startswith("loss_")][:4]
FEW = CORRECT[:3] + LOSS_MISTAKES + [answer for answer in WRONG if answer.name == "wrong_sign"]


def graded(answers: list, release: Path, always_watched: bool) -> dict[str, Record]:
    with pytest.MonkeyPatch.context() as patch:
        if always_watched:
            patch.setattr(runner, "watch_training", lambda category, results: True)
        return {record.student: record for record in records_for(answers, release=release)}


def pages(records: dict[str, Record], release: Path, folder: Path) -> dict[str, bytes]:
    write_feedback_pages(list(records.values()), lesson_in_process(release), folder, None)
    return {path.name: path.read_bytes() for path in (folder / "feedback").glob("*.html")}


def keeps_own_training(record: Record) -> bool:
    return any(item["question"] == TRAINING for item in record.observations)


def loss_graded_after_training(folder: Path) -> Path:
    """The shipped release with the loss's graded cell moved to just before update()'s, so the
    notebook trains before the loss's checks run."""
    notebook = nbformat.read(release_notebook(), as_version=4)
    ids = [cell.metadata.get("nbgrader", {}).get("grade_id") for cell in notebook.cells]
    loss = notebook.cells.pop(ids.index("loss_checks"))
    ids.remove("loss_checks")
    notebook.cells.insert(ids.index("update_checks"), loss)
    path = folder / "gradient_descent.ipynb"
    nbformat.write(notebook, path)
    return path


def test_each_page_is_the_page_of_a_training_always_watched(tmp_path):
    release = release_notebook()
    watched = graded(FEW, release, always_watched=True)
    asked = graded(FEW, release, always_watched=False)
    assert pages(asked, release, tmp_path / "asked") == pages(watched, release, tmp_path / "all")
    for student, record in asked.items():
        assert record.checks == watched[student].checks, student
    assert all(keeps_own_training(record) for record in watched.values())
    assert not all(keeps_own_training(record) for record in asked.values())


def test_a_training_run_before_the_loss_is_graded_is_watched(tmp_path):
    release = loss_graded_after_training(tmp_path)
    watched = graded(FEW, release, always_watched=True)
    asked = graded(FEW, release, always_watched=False)
    assert pages(asked, release, tmp_path / "asked") == pages(watched, release, tmp_path / "all")
    assert any(shows_own_training(record.checks) for record in asked.values())
    for student, record in asked.items():
        assert keeps_own_training(record), student


@pytest.mark.parametrize("category", ["loss", "update", "zero_grad", "convergence"])
def test_past_the_loss_the_training_is_watched_only_for_a_loss_that_lost_points(category):
    failed = CheckResult("loss.x", "loss", 0.0, 1.0, False, "wrong")
    passed = CheckResult("loss.y", "loss", 1.0, 1.0, True, "")
    for results in ([], [passed], [failed], [passed, failed]):
        expected = category == "loss" or failed in results
        assert runner.watch_training(category, results) == expected, (category, results)
