"""Finding submissions: LMS downloads built from each system's documented naming, nbgrader
timestamps, files that belong to no student, the one rule that picks a student's notebook in
every layout, and every oddity of a download or a course becoming a row or a listed skip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.intake import choice
from autograder.intake.submissions import Submission, collect, submission_in
from autograder.usage import UsageError
from tests.support.layouts import LAYOUTS, Student, lay_out

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


def test_a_gradescope_export_whose_metadata_cannot_be_read_is_refused(tmp_path):
    folder = files(tmp_path / "gradescope", ["submission_1/gradient_descent.ipynb"])
    (folder / "submission_metadata.yml").write_text("submission_1: [unclosed\n")
    with pytest.raises(UsageError, match="is not readable YAML"):
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


def test_a_notebook_beside_more_files_than_are_looked_at_is_graded(tmp_path):
    """A student who saved every frame of an animation beside the notebook handed it in."""
    from autograder.intake.handed_in import MAX_ENTRIES

    top = tmp_path / "course" / "submitted"
    folder = top / "ada" / "gradient_descent"
    files(folder, ["gradient_descent.ipynb"])
    files(folder, ["a_frame_first.ipynb"])  # sorts before the frames, and is still a choice
    frames = [f"frame_{number:05}.png" for number in range(MAX_ENTRIES + 100)]
    files(folder, frames, b"png")
    [submission] = collect([str(top)]).submissions
    assert submission.student == "ada"
    assert submission.notebook == folder / "gradient_descent.ipynb"


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


# One rule chooses the notebook in every layout: the files handed in, the one graded (None: no
# notebook is), words the row's problem holds, and the files listed as skipped.
CHOICES = [
    (
        [b"gradient_descent.ipynb", b"gradient_descent-Copy1.ipynb", b"gradient_descent (1).ipynb"],
        "gradient_descent.ipynb",
        "",
        ["gradient_descent-Copy1.ipynb", "gradient_descent (1).ipynb"],
    ),
    (
        [b"gradient_descent-Copy1.ipynb", b"scratch.ipynb"],
        "gradient_descent-Copy1.ipynb",
        "",
        ["scratch.ipynb"],
    ),
    ([b"Copy of gradient_descent.ipynb"], "Copy of gradient_descent.ipynb", "", []),
    ([b"Gradient Descent.ipynb", b"notes.ipynb"], "Gradient Descent.ipynb", "", ["notes.ipynb"]),
    (
        [b"gradient_descent_final.ipynb", b"scratch.ipynb"],
        "gradient_descent_final.ipynb",
        "",
        ["scratch.ipynb"],
    ),
    ([b"mine.ipynb", b"notes.txt"], "mine.ipynb", "", []),
    (
        [b"a.ipynb", b"b.ipynb"],
        None,
        "several notebooks and none clearly gradient_descent.ipynb: a.ipynb, b.ipynb; hand in "
        "yours as gradient_descent.ipynb",
        [],
    ),
    (
        [b"gradient_descent-Copy1.ipynb", b"gradient_descent-Copy2.ipynb"],
        None,
        "none clearly gradient_descent.ipynb: gradient_descent-Copy1.ipynb, "
        "gradient_descent-Copy2.ipynb",
        [],
    ),
    (
        [b".gradient_descent.ipynb"],
        None,
        "no notebook that can be graded was submitted (.gradient_descent.ipynb: its name starts "
        "with a dot, which hides it); hand in gradient_descent.ipynb",
        [".gradient_descent.ipynb"],
    ),
    ([b"answer.py"], None, "no notebook was submitted", []),
]


def one_student(layout: str, root: Path, names: list[bytes]) -> tuple[Submission, list[str]]:
    student = Student(b"2024001", tuple((name, NOTEBOOK) for name in names))
    batch = collect([str(lay_out(layout, root, [student]))])
    [submission] = batch.submissions
    return submission, batch.skipped


def handed_in_name(layout: str, submission: Submission) -> str:
    """The name the student gave the graded notebook (Canvas puts its own in front)."""
    name = Path(submission.notebook).name
    return name.split("_", 3)[3] if layout == "canvas" else name


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize(("names", "graded", "problem", "skipped"), CHOICES)
def test_one_rule_chooses_the_notebook_in_every_layout(
    tmp_path, layout, names, graded, problem, skipped
):
    submission, listed = one_student(layout, tmp_path, names)
    if graded is not None:
        assert handed_in_name(layout, submission) == graded
    assert problem in submission.problem and bool(problem) == (submission.notebook is None)
    for name in skipped:
        assert any(name in line and "not graded: " in line for line in listed), (name, listed)
    assert len(listed) == len(skipped), listed


@pytest.mark.parametrize("layout", ["nbgrader", "moodle", "gradescope"])
def test_checkpoints_and_os_junk_never_count_and_are_never_listed(tmp_path, layout):
    names = [
        b"gradient_descent.ipynb",
        b".ipynb_checkpoints/gradient_descent-checkpoint.ipynb",
        b".virtual_documents/gradient_descent.ipynb",
        b"__MACOSX/._gradient_descent.ipynb",
        b"._gradient_descent.ipynb",
        b".DS_Store",
        b"Thumbs.db",
        b"desktop.ini",
    ]
    submission, listed = one_student(layout, tmp_path, names)
    assert handed_in_name(layout, submission) == "gradient_descent.ipynb"
    assert listed == []


@pytest.mark.parametrize(("names", "graded", "problem", "skipped"), CHOICES)
def test_the_gradescope_autograder_chooses_as_grade_does(tmp_path, names, graded, problem, skipped):
    files(tmp_path, [os.fsdecode(name) for name in names])
    submission = submission_in(tmp_path, "submission")
    assert submission.notebook == (tmp_path / graded if graded else None)
    assert problem in submission.problem


@pytest.mark.parametrize(
    ("name", "rank"),
    [
        ("gradient_descent.ipynb", 0),
        ("GRADIENT-DESCENT.ipynb", 0),
        ("gradient descent.IPYNB", 0),
        ("gradient_descent-Copy1.ipynb", 1),
        ("gradient_descent-Copy12.ipynb", 1),
        ("gradient_descent (3).ipynb", 1),
        ("gradient_descent(3).ipynb", 1),
        ("gradient_descent copy.ipynb", 1),
        ("gradient_descent copy 2.ipynb", 1),
        ("gradient_descent - Copy (2).ipynb", 1),
        ("Copy of gradient_descent-Copy1 (1).ipynb", 1),
        ("gradient_descent-1.ipynb", 2),
        ("my_gradient_descent_final.ipynb", 2),
        ("lesson2.ipynb", 3),
        ("Copy1.ipynb", 3),
    ],
)
def test_how_clearly_a_name_is_the_assignments(name, rank):
    assert choice.rank(name) == rank


def test_a_folder_of_notebooks_lists_copies_and_hidden_notebooks_instead_of_grading_them(tmp_path):
    folder = files(
        tmp_path / "class",
        [
            "ana.ipynb",
            "ana-Copy1.ipynb",
            "ana (1).ipynb",
            "bo-Copy1.ipynb",
            ".cy.ipynb",
            "._dee.ipynb",
        ],
    )
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".DS_Store").write_bytes(b"\0")
    batch = collect([str(folder)])
    assert sorted(by_student(batch)) == ["ana", "bo-Copy1"]
    assert by_student(batch)["ana"].notebook == folder / "ana.ipynb"
    assert sorted(batch.skipped) == [
        "class/.cy.ipynb: not graded: its name starts with a dot, which hides it",
        "class/ana (1).ipynb: a copy of ana.ipynb, which is graded",
        "class/ana-Copy1.ipynb: a copy of ana.ipynb, which is graded",
    ]


def test_an_nbgrader_student_with_another_assignment_only_is_skipped_and_the_class_graded(tmp_path):
    course = tmp_path / "course" / "submitted"
    files(course, ["ana/gradient_descent/gradient_descent.ipynb", "bo/ps1/ps1.ipynb", "notes.txt"])
    (course / "cy").mkdir()
    (course / "dee" / "gradient_descent").mkdir(parents=True)
    batch = collect([str(course)])
    assert sorted(by_student(batch)) == ["ana", "dee"]
    assert by_student(batch)["dee"].problem == "no notebook was submitted"
    assert sorted(batch.skipped) == [
        "submitted/bo: holds no gradient_descent folder (it holds ps1)",
        "submitted/cy: holds no gradient_descent folder (it is empty)",
        "submitted/notes.txt: not a student's folder",
    ]
    assert batch.course_root == (tmp_path / "course").resolve()


@pytest.mark.parametrize(
    "timestamp",
    [
        b"0001-01-01 00:00:00.000000 UTC",
        b"9999-12-31 23:59:59.999999 UTC",
        b"9999-12-31 23:59:59 -05:00",
        b"0001-01-01 00:00:00 +01:00",
        b"99999999999-01-01 00:00:00 UTC",
        b"2026-11-20 10:22:11 ../../../../dev/stdin",
        b"2026-11-20 10:22:11 PST",
        b"12",
        b"not a time",
        b"\xff\xfe\x00garbage",
        b"2" * 100_000,
        b"",
    ],
)
def test_a_timestamp_that_is_no_time_leaves_the_row_without_one_and_is_listed(tmp_path, timestamp):
    course = tmp_path / "course" / "submitted"
    files(course, ["ana/gradient_descent/gradient_descent.ipynb"])
    (course / "ana" / "gradient_descent" / "timestamp.txt").write_bytes(timestamp)
    batch = collect([str(course)])
    assert by_student(batch)["ana"].submitted_at is None
    assert len(batch.skipped) == 1 and "timestamp.txt: holds no submission time" in batch.skipped[0]


def test_a_pipe_or_a_link_where_a_file_should_be_is_listed_never_opened(tmp_path):
    folder = tmp_path / "course" / "submitted" / "ana" / "gradient_descent"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "timestamp.txt")  # opening it to read would wait forever
    os.mkfifo(folder / "gradient_descent.ipynb")
    (folder / "linked.ipynb").symlink_to("/etc/passwd")
    batch = collect([str(folder.parent.parent)])
    ana = by_student(batch)["ana"]
    assert ana.notebook is None and ana.submitted_at is None
    assert "gradient_descent.ipynb: not a regular file" in ana.problem
    assert "linked.ipynb: a symbolic link, which is not followed" in ana.problem
    assert ana.content_hash()


def test_a_moodle_participant_with_a_file_and_an_online_text_folder_is_one_row(tmp_path):
    folder = files(
        tmp_path / "moodle",
        [
            "Ana Smith_1021_assignsubmission_file_/gradient_descent.ipynb",
            "Ana Smith_1021_assignsubmission_onlinetext_/onlinetext.html",
            "Ana Smith_1021_assignfeedback_file_/gradient_descent.ipynb",
            "Bo Lee_1022_assignsubmission_onlinetext_/onlinetext.html",
        ],
    )
    batch = collect([str(folder)])
    found = by_student(batch)
    assert sorted(found) == ["1021", "1022"]
    assert found["1021"].notebook.parent.name == "Ana Smith_1021_assignsubmission_file_"
    assert found["1022"].problem == "no notebook was submitted"
    assert batch.skipped == [
        "moodle/Ana Smith_1021_assignfeedback_file_: a Moodle feedback folder, not a submission"
    ]


def test_problems_of_one_gradescope_submission_are_listed_and_the_rest_graded(tmp_path):
    folder = files(
        tmp_path / "gradescope",
        [f"submission_{n}/gradient_descent.ipynb" for n in range(1, 7)],
    )
    (folder / "submission_metadata.yml").write_text(
        "submission_1:\n  :submitters: []\n"
        "submission_2:\n  :submitters:\n  - :name: No Id\n"
        "submission_3:\n  :submitters:\n  - :sid: '7'\n  :created_at: 0000-01-01 00:00:00\n"
        "submission_4:\n  :submitters:\n  - :sid: '8'\n"
        "submission_5:\n  :submitters:\n  - :sid: '8'\n"
        "'../../etc':\n  :submitters:\n  - :sid: '9'\n"
        "submission_6: just text\n"
    )
    batch = collect([str(folder)])
    found = by_student(batch)
    assert sorted(found) == ["7", "8"]
    assert found["7"].notebook is not None and found["7"].submitted_at is None
    assert found["8"].problem.startswith("2 notebooks are named gradient_descent.ipynb")
    assert sorted(batch.skipped) == [
        "gradescope/submission_1: its metadata names no submitter",
        "gradescope/submission_2: its metadata names no submitter",
        "gradescope/submission_6: not described by the export's metadata",
        "gradescope: submission_metadata.yml: '../../etc' names no folder of the export",
        "gradescope: submission_metadata.yml: 'submission_2': submitter 1 has neither sid nor "
        "email",
        "gradescope: submission_metadata.yml: 'submission_3': its :created_at is not a time",
        "gradescope: submission_metadata.yml: 'submission_6' is not a submission's description",
    ]


def encrypt_in_directory(archive: Path, name: bytes) -> None:
    """Mark a member encrypted in the zip's central directory, as an encrypting tool does
    (Python's zipfile writes no encrypted members)."""
    data = bytearray(archive.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory's first entry
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 1)
    data[entry + 8] |= 0x1  # its general-purpose flags: bit 0, encrypted
    archive.write_bytes(bytes(data))


def test_a_zip_member_that_cannot_be_unpacked_is_listed_and_the_rest_graded(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("smithana_12345_1_gradient_descent.ipynb", NOTEBOOK)
        bundle.writestr("../escape.ipynb", NOTEBOOK)
        bundle.writestr("/absolute.ipynb", NOTEBOOK)
        bundle.writestr("x" * 300 + ".ipynb", NOTEBOOK)
        bundle.writestr("doejohn_23456_2_gradient_descent.ipynb", NOTEBOOK)
        bundle.writestr("doejohn_23456_2_gradient_descent.ipynb/inside.ipynb", NOTEBOOK)
        bundle.writestr("leemin_34567_3_gradient_descent.ipynb", NOTEBOOK)
        bundle.writestr("__MACOSX/._smithana_12345_1_gradient_descent.ipynb", b"\0")
    encrypt_in_directory(archive, b"leemin_34567_3_gradient_descent.ipynb")
    batch = collect([str(archive)], tmp_path)
    found = by_student(batch)
    assert sorted(found) == ["12345", "23456"]
    assert not (tmp_path / "escape.ipynb").exists() and not Path("/absolute.ipynb").exists()
    problems = {line.split(": ", 1)[0]: line.split(": ", 1)[1] for line in batch.skipped}
    assert problems["download.zip/../escape.ipynb"].startswith("its path leaves the archive")
    assert problems["download.zip//absolute.ipynb"].startswith("its path leaves the archive")
    assert problems[f"download.zip/{'x' * 300}.ipynb"].startswith("cannot be unpacked")
    assert problems["download.zip/doejohn_23456_2_gradient_descent.ipynb/inside.ipynb"].startswith(
        "cannot be unpacked"
    )
    assert "encrypted" in problems["download.zip/leemin_34567_3_gradient_descent.ipynb"]
    assert len(batch.skipped) == 5


def test_a_zip_with_a_damaged_member_lists_it(tmp_path):
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("ana.ipynb", NOTEBOOK)
        bundle.writestr("bo.ipynb", NOTEBOOK * 50)
    data = bytearray(archive.read_bytes())
    start = data.index(b"bo.ipynb") + len(b"bo.ipynb")
    data[start + 10 : start + 20] = b"\xff" * 10  # inside bo's compressed bytes
    archive.write_bytes(bytes(data))
    batch = collect([str(archive)], tmp_path)
    assert sorted(by_student(batch)) == ["ana"]
    assert batch.skipped[0].startswith("download.zip/bo.ipynb: cannot be unpacked")


READ_AS_A_USER = """
import json, sys
from autograder.intake.submissions import collect
batch = collect([sys.argv[1]])
print(json.dumps({
    "rows": {s.student: [s.problem, s.original, s.content_hash()] for s in batch.submissions},
    "skipped": batch.skipped,
}))
"""


def test_files_and_folders_that_cannot_be_read_become_rows_and_listed_skips(tmp_path):
    """Run where the file modes apply (a user namespace takes root's power to override them),
    as for an instructor who is not root."""
    course = files(
        tmp_path / "course" / "submitted",
        [
            "ana/gradient_descent/gradient_descent.ipynb",
            "bo/gradient_descent/gradient_descent.ipynb",
            "cy/gradient_descent/work/gradient_descent.ipynb",
            "dee/gradient_descent/gradient_descent.ipynb",
        ],
    )
    (course / "ana" / "gradient_descent" / "gradient_descent.ipynb").chmod(0)
    (course / "bo" / "gradient_descent").chmod(0)
    (course / "cy" / "gradient_descent" / "work").chmod(0)
    (course / "dee").chmod(0)
    done = subprocess.run(
        ["unshare", "--user", sys.executable, "-c", READ_AS_A_USER, str(course)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    rows = found["rows"]
    assert sorted(rows) == ["ana", "bo", "cy"]
    assert rows["ana"][:2] == ["", "submitted/ana/gradient_descent/gradient_descent.ipynb"]
    assert "a folder that cannot be read (Permission denied)" in rows["bo"][0]
    assert "work: a folder that cannot be read (Permission denied)" in rows["cy"][0]
    assert sorted(found["skipped"]) == [
        "submitted/bo/gradient_descent: not graded: a folder that cannot be read (Permission "
        "denied)",
        "submitted/cy/gradient_descent/work: not graded: a folder that cannot be read (Permission "
        "denied)",
        "submitted/dee: cannot be read (Permission denied)",
    ]
