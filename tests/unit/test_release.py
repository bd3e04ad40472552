"""The committed student release matches the source notebook and gives nothing away."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
import torch

from tests.support.course import (
    REGENERATE,
    RELEASE,
    SOURCE,
    cell,
    copy_course,
    generate_release,
    read,
)
from tests.support.lesson import lesson_in_process

# Notebook-level metadata that editors rewrite without any change to the assignment.
VOLATILE_METADATA = ("widgets", "toc", "varInspector", "celltoolbar")


def comparable(path: Path) -> str:
    """The notebook as canonical JSON, without metadata that does not matter."""
    notebook = read(path)
    for key in VOLATILE_METADATA:
        notebook.metadata.pop(key, None)
    for each in notebook.cells:
        each.metadata.pop("execution", None)
    return json.dumps(notebook, indent=1, sort_keys=True)


def release_text() -> str:
    return RELEASE.read_text(encoding="utf-8")


@pytest.mark.slow
def test_committed_release_is_up_to_date(tmp_path: Path) -> None:
    fresh = generate_release(copy_course(tmp_path / "course"))
    expected, committed = comparable(fresh), comparable(RELEASE)
    if expected != committed:
        diff = "\n".join(
            difflib.unified_diff(
                committed.splitlines(),
                expected.splitlines(),
                "committed release",
                "regenerated release",
                lineterm="",
                n=2,
            )
        )
        pytest.fail(f"release is stale: run `{REGENERATE}`\n{diff[:4000]}")


@pytest.mark.parametrize(
    "secret",
    ["BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "import autograder", "from autograder"],
)
def test_release_hides_solutions_and_hidden_tests(secret: str) -> None:
    assert secret not in release_text()


def test_release_has_no_reference_loss() -> None:
    assert ".mean()" not in release_text(), "the release gives away the reference loss"


def test_release_answer_cells_are_stubs() -> None:
    release = read(RELEASE)
    for grade_id in ("mean_squared_error", "update"):
        source = cell(release, grade_id).source
        assert "raise NotImplementedError" in source, f"{grade_id} is not a stub in the release"
        assert "# YOUR CODE HERE" in source


def test_the_lesson_holds_the_data_exactly_as_the_data_cell_builds_it() -> None:
    namespace = {"torch": torch}
    exec(cell(read(SOURCE), "data").source, namespace)
    lesson = lesson_in_process()
    assert torch.equal(torch.tensor(lesson.x, dtype=torch.float32), namespace["x"])
    assert torch.equal(torch.tensor(lesson.y, dtype=torch.float32), namespace["y"])


def test_release_keeps_the_data_cell() -> None:
    data = cell(read(RELEASE), "data")
    assert data.source == cell(read(SOURCE), "data").source
    assert data.metadata["nbgrader"]["locked"] is True
