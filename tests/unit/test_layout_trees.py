"""Whole trees of every layout, generated (Hypothesis), read as `grade` reads them: each
student the layout names gets exactly one row, nobody else does, nothing raises, and every
notebook handed in is graded, listed as skipped, or named in its student's row."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.intake.submissions import Batch, collect
from autograder.text import one_line
from tests.support.trees import TREES, Tree, unlock

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def accounted(tree: Tree, top: Path, batch: Batch) -> list[str]:
    """The notebooks of `tree` that no row grades, no skipped line lists (itself or a folder
    it is in) and no row names."""
    graded = {os.fsencode(s.notebook) for s in batch.submissions if isinstance(s.notebook, Path)}
    problems = " ".join(submission.problem for submission in batch.submissions)
    lost = []
    for relative in tree.notebooks():
        path = os.path.join(os.fsencode(top), relative)
        if not os.path.isfile(path) or os.path.islink(path) or path in graded:
            continue
        parts = relative.split(b"/")
        shown = [
            os.fsdecode(b"/".join([os.fsencode(top.name), *parts[:depth]]))
            for depth in range(1, len(parts) + 1)
        ]
        listed = any(line.startswith(f"{place}: ") for line in batch.skipped for place in shown)
        name = one_line(os.fsdecode(parts[-1]))  # as a row's message shows it
        if not listed and name not in problems and name.split("_", 4)[-1] not in problems:
            lost.append(os.fsdecode(relative))
    return lost


@pytest.mark.parametrize("layout", sorted(TREES))
@SETTINGS
@given(data=st.data())
def test_any_tree_gives_each_student_one_row_and_loses_nothing(tmp_path_factory, layout, data):
    tree = data.draw(TREES[layout])
    root = tmp_path_factory.mktemp(layout)
    try:
        top = tree.write(root)
        batch = collect([str(top)], root)
        students = [submission.student for submission in batch.submissions]
        assert sorted(students) == sorted(tree.students)
        assert accounted(tree, top, batch) == []
    finally:
        unlock(root)
