"""What crosses into and out of a Dask cluster: the `--scheduler` option, submissions sent as
notebook bytes, and records sent back as data (generated and hand-written cases)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from distributed.protocol import deserialize, serialize
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.batch.cluster import carried, local_workers
from autograder.batch.worker import Job
from autograder.intake.notebook import MAX_NOTEBOOK_BYTES, InvalidNotebook, plan_notebook
from autograder.intake.submissions import Submission
from autograder.judge.record import Record
from autograder.usage import UsageError
from tests.unit.test_properties import RELEASE, SETTINGS, cell_like, hostile_text, records


def planned(source: Path | bytes) -> object:
    """What grading makes of a notebook: its steps, or the message that it is invalid."""
    try:
        return [step.to_json() for step in plan_notebook(source, RELEASE).steps]
    except InvalidNotebook as problem:
        return str(problem)


def graded_input(submission: Submission) -> object:
    """What a worker grades: the notebook's plan, or the reason there is none."""
    if submission.notebook is None:
        return submission.problem
    return planned(submission.notebook)


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=300),
        st.lists(cell_like, max_size=8).map(
            lambda cells: json.dumps({"nbformat": 4, "cells": cells}).encode(
                "utf-8", "surrogatepass"
            )
        ),
    ),
    hostile_text,
)
def test_a_notebook_sent_as_bytes_is_graded_as_its_file_is(tmp_path_factory, data, student):
    path = tmp_path_factory.mktemp("notebook") / "submission.ipynb"
    path.write_bytes(data)
    submission = Submission(student, path, original="submission.ipynb")
    sent = carried(Job(submission, submission.content_hash()))
    assert not isinstance(sent.submission.notebook, Path)
    assert graded_input(sent.submission) == planned(path)
    assert sent.submission.student == submission.student
    if sent.submission.notebook is not None:
        assert sent.submission.content_hash() == submission.content_hash()


def test_an_unreadable_or_oversized_notebook_carries_the_reason_local_grading_gives(
    tmp_path: Path,
):
    huge = tmp_path / "huge.ipynb"
    huge.write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    for path in (tmp_path / "gone.ipynb", huge, tmp_path):
        sent = carried(Job(Submission("student", path), "hash")).submission
        assert sent.notebook is None
        assert sent.problem == planned(path)
    none = Submission("student", None, "no notebook was submitted")
    assert carried(Job(none, "hash")).submission == none


@settings(SETTINGS, max_examples=50)
@given(records)
def test_any_record_crosses_dasks_serialisation_as_data_and_comes_back_equal(record: Record):
    header, frames = serialize([record.to_json()])  # as Dask sends a task's result
    [back] = deserialize(header, frames)
    assert json.dumps(Record.from_json(back).to_json()) == json.dumps(record.to_json())


@given(st.text(max_size=30))
def test_any_scheduler_option_is_a_worker_count_an_address_or_one_usage_error(text: str):
    try:
        workers = local_workers(text)
    except UsageError as error:
        assert text.startswith("local:")
        assert str(error).startswith("--scheduler local:N needs a number of workers")
        return
    assert workers is None if not text.startswith("local:") else workers >= 1


@pytest.mark.parametrize(
    ("option", "workers"),
    [("local:2", 2), ("local:16", 16), ("tcp://127.0.0.1:8786", None), ("127.0.0.1:8786", None)],
)
def test_scheduler_options_as_written(option: str, workers: int | None):
    assert local_workers(option) == workers


@pytest.mark.parametrize("option", ["local:", "local:0", "local:-1", "local:two", "local:٣"])
def test_a_local_cluster_needs_a_whole_number_of_workers(option: str):
    with pytest.raises(UsageError, match="local:N needs a number of workers N of at least 1"):
        local_workers(option)
