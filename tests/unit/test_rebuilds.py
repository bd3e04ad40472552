"""`feedback --out` rebuilds every output for the class `grade` graded: a student whose record
file is damaged, truncated, another student's or gone still has a `grader_error` row, with the
reason, in results.json, grades.csv, the report, the Canvas and Moodle files and the summary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autograder.__main__ import main
from autograder.batch.store import RecordStore, RunInfo
from autograder.intake.ids import file_name
from tests.support.lesson import lesson_in_process
from tests.unit.test_lms_grades import EXPORT, record

CLASS = ["12345", "23456", "34567", "45678", "56789", "67890"]


def damage(store: RecordStore, student: str, how: str) -> None:
    path = store.folder / f"{file_name(student)}.json"
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:40])
    elif how == "not json":
        path.write_bytes(b"\x00\xff garbage")
    elif how == "another student's":
        path.write_bytes((store.folder / f"{file_name(CLASS[0])}.json").read_bytes())
    elif how == "from a newer grader":
        path.write_text(json.dumps(json.loads(path.read_text()) | {"format": 99}))
    elif how == "gone":
        path.unlink()


DAMAGES = ["truncated", "not json", "another student's", "from a newer grader", "gone"]


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    """An --out folder as `grade` leaves it, Canvas and Moodle files asked for, then each
    student but the first with their record damaged in another way."""
    out = tmp_path / "out"
    roster = tmp_path / "roster.csv"
    roster.write_text(EXPORT, encoding="utf-8")
    store = RecordStore(out)
    for student in CLASS:
        store.write(record(student, name=f"Student {student}"))
    store.save_run(
        RunInfo(
            7,
            canvas_roster=str(roster),
            moodle=True,
            students=tuple(CLASS),
            lesson=lesson_in_process(),
        )
    )
    for student, how in zip(CLASS[1:], DAMAGES, strict=True):
        damage(store, student, how)
    return out


def test_every_output_keeps_a_student_whose_record_cannot_be_used(graded: Path, capsys):
    assert main(["feedback", "--out", str(graded)]) == 1
    rows = json.loads((graded / "results.json").read_text())["submissions"]
    assert [row["student"] for row in rows] == CLASS
    assert [row["status"] for row in rows] == ["graded"] + ["grader_error"] * len(DAMAGES)
    reasons = [row["message"] for row in rows[1:]]
    assert all(reason.startswith("the stored record cannot be used (") for reason in reasons)
    assert "holds the record of another student" in reasons[2]
    assert "newer than this grader" in reasons[3]
    with (graded / "grades.csv").open(newline="") as stream:
        assert [row["student"] for row in csv.DictReader(stream)] == CLASS
    report = (graded / "report.html").read_text(encoding="utf-8")
    assert all(f">{student}</a>" in report for student in CLASS)
    assert report.count("the stored record cannot be used") == len(DAMAGES)
    for student in CLASS:
        page = graded / "feedback" / f"{file_name(student)}.html"
        assert student in page.read_text(encoding="utf-8")
    with (graded / "canvas.csv").open(newline="") as stream:
        canvas = {row["ID"]: row["gradient_descent"] for row in csv.DictReader(stream)}
    assert canvas["12345"] == "12.0" and canvas["23456"] == ""  # left alone, not a zero
    summary = capsys.readouterr().out
    assert "grader_error │        5" in summary
    assert "34567: grader_error: the stored record cannot be used" in summary
    assert "5 students the grader failed on are left out" in summary


def test_a_folder_whose_run_kept_no_class_list_names_the_records_it_cannot_read(
    graded: Path, capsys
):
    """Folders graded before runs kept their class: the readable records are rebuilt, and
    each file that cannot be read is named, since whose it is is unknown."""
    run = json.loads((graded / "run.json").read_text())
    (graded / "run.json").write_text(json.dumps(run | {"students": None}))
    assert main(["feedback", "--out", str(graded)]) == 1
    rows = json.loads((graded / "results.json").read_text())["submissions"]
    assert [row["student"] for row in rows] == ["12345"]
    summary = capsys.readouterr().out
    assert "4 record files whose student is unknown" in summary
    assert f"{file_name('23456')}.json: cannot be read back" in summary
    assert f"{file_name('45678')}.json: holds the record of '12345', kept elsewhere" in summary


def test_a_run_keeps_its_class_in_order():
    info = RunInfo(1, students=("bo", "ada", "ana smith"), lesson=lesson_in_process())
    assert RunInfo.from_json(json.loads(json.dumps(info.to_json()))) == info
    assert RunInfo.from_json({"seed": 1, "students": ["a", 2]}).students is None
