"""Finding submissions: LMS downloads built from each system's documented naming, nbgrader
timestamps, and files that belong to no student."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from autograder.intake.submissions import UsageError, collect

NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def files(root: Path, names: list[str], content: bytes = NOTEBOOK) -> Path:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def by_student(batch) -> dict:
    return {submission.student: submission for submission in batch.submissions}


def test_a_canvas_download_gives_canvas_user_ids_late_flags_and_the_original_names(tmp_path):
    folder = files(
        tmp_path / "canvas",
        [
            "smithana_12345_678901_gradient_descent.ipynb",
            "doejohn_LATE_23456_678902_gradient_descent-1.ipynb",
            "leemin_34567_678903_my_notebook.ipynb",
            "leemin_34567_678904_notes.txt",
            "parkjo_45678_678905_essay.pdf",
            "README.txt",
            "renamed-by-hand.ipynb",
        ],
    )
    batch = collect([str(folder)])
    found = by_student(batch)
    assert sorted(found) == ["12345", "23456", "34567", "45678"]
    assert found["12345"].name == "smithana" and not found["12345"].late
    assert found["23456"].late
    assert found["23456"].original == "canvas/doejohn_LATE_23456_678902_gradient_descent-1.ipynb"
    assert found["34567"].notebook is not None  # the only notebook among its files
    assert (found["45678"].notebook, found["45678"].problem) == (None, "no notebook was submitted")
    assert sorted(batch.skipped) == [
        "canvas/README.txt: its name does not follow Canvas's naming",
        "canvas/renamed-by-hand.ipynb: its name does not follow Canvas's naming",
    ]


def test_several_canvas_notebooks_keep_the_one_named_after_the_assignment(tmp_path):
    folder = files(
        tmp_path / "canvas",
        [
            "smithana_12345_1_gradient_descent.ipynb",
            "smithana_12345_2_scratch.ipynb",
            "doejohn_23456_3_one.ipynb",
            "doejohn_23456_4_two.ipynb",
        ],
    )
    found = by_student(collect([str(folder)]))
    assert found["12345"].notebook.name == "smithana_12345_1_gradient_descent.ipynb"
    assert found["23456"].notebook is None
    assert "several notebooks" in found["23456"].problem


def test_a_moodle_download_gives_participant_ids_and_names(tmp_path):
    folder = files(
        tmp_path / "moodle",
        [
            "Ana Smith_1021_assignsubmission_file_/gradient_descent.ipynb",
            "José Núñez_1022_assignsubmission_file_/work/gradient_descent.ipynb",
            "Kim Lee_1023_assignsubmission_file_/answer.py",
            "not a participant/gradient_descent.ipynb",
        ],
    )
    batch = collect([str(folder)])
    found = by_student(batch)
    assert sorted(found) == ["1021", "1022", "1023"]
    assert found["1022"].name == "José Núñez"
    assert found["1023"].notebook is None
    assert batch.skipped == ["moodle/not a participant: not a Moodle participant folder"]


GRADESCOPE_METADATA = """\
submission_100001:
  :submitters:
  - :name: Ana Smith
    :sid: '2024001'
    :email: ana@example.edu
  :created_at: 2026-11-20 10:22:11.123456000 -08:00
  :score: 0.0
submission_100002:
  :submitters:
  - :name: Bo Chen
    :sid:
    :email: bo@example.edu
  - :name: Cy Dunn
    :sid: '2024003'
    :email: cy@example.edu
  :created_at: 2026-11-21 09:00:00.000000000 +00:00
"""


def test_a_gradescope_export_gives_each_submitter_a_row_with_the_submission_time(tmp_path):
    folder = files(
        tmp_path / "gradescope",
        [
            "submission_100001/gradient_descent.ipynb",
            "submission_100002/gradient_descent.ipynb",
            "submission_100003/gradient_descent.ipynb",
        ],
    )
    (folder / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    batch = collect([str(folder)])
    found = by_student(batch)
    assert sorted(found) == ["2024001", "2024003", "bo@example.edu"]
    assert found["2024001"].submitted_at == "2026-11-20T18:22:11.123456+00:00"
    assert found["bo@example.edu"].notebook == found["2024003"].notebook
    assert batch.skipped == ["gradescope/submission_100003: not described by the export's metadata"]


def test_a_gradescope_export_with_broken_metadata_is_refused(tmp_path):
    folder = files(tmp_path / "gradescope", ["submission_1/gradient_descent.ipynb"])
    (folder / "submission_metadata.yml").write_text("submission_1:\n  :submitters: []\n")
    with pytest.raises(UsageError, match="names no submitters"):
        collect([str(folder)])


def test_lms_downloads_arrive_zipped_too(tmp_path):
    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("smithana_12345_678901_gradient_descent.ipynb", NOTEBOOK)
        bundle.writestr("doejohn_LATE_23456_678902_gradient_descent.ipynb", NOTEBOOK)
    assert sorted(by_student(collect([str(archive)], tmp_path))) == ["12345", "23456"]


def test_nbgrader_timestamps_reach_the_submission(tmp_path):
    course = tmp_path / "course" / "submitted"
    files(course, ["ada/gradient_descent/gradient_descent.ipynb"])
    files(course, ["bob/gradient_descent/gradient_descent.ipynb"])
    (course / "ada" / "gradient_descent" / "timestamp.txt").write_text(
        "2026-11-20 10:22:11.123456 UTC"
    )
    (course / "bob" / "gradient_descent" / "timestamp.txt").write_text("not a time")
    batch = collect([str(course)])
    found = by_student(batch)
    assert found["ada"].submitted_at == "2026-11-20T10:22:11.123456+00:00"
    assert found["bob"].submitted_at is None
    assert batch.course_root == (tmp_path / "course").resolve()


def test_files_that_are_not_notebooks_are_listed_as_skipped(tmp_path):
    folder = files(tmp_path / "class", ["ada.ipynb", "bob.ipynb", "notes.txt", "helper.py"])
    (folder / "drafts").mkdir()
    batch = collect([str(folder)])
    assert sorted(by_student(batch)) == ["ada", "bob"]
    assert sorted(batch.skipped) == [
        "class/drafts: a folder inside a folder of notebooks",
        "class/helper.py: not a notebook",
        "class/notes.txt: not a notebook",
    ]
