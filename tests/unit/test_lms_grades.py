"""Grades for Canvas and Moodle: a roster in Canvas's export format in, files in each system's
documented import format out, whoever cannot be matched listed, hostile text never a formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.__main__ import main
from autograder.batch.store import RecordStore, RunInfo
from autograder.intake.roster import CanvasRoster, RosterRow, read_canvas_roster
from autograder.judge.record import CheckResult, CheckSpec, Mistake, Record, Status
from autograder.outputs.moodle import moodle_csv
from autograder.outputs.publish import Published, write_canvas, write_moodle
from autograder.outputs.publish import rows as class_rows
from autograder.usage import UsageError
from tests.support.lesson import lesson_in_process

CHECKS = (CheckSpec("loss.value", "loss", 5.0), CheckSpec("update.step", "update", 7.0))
IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Canvas's gradebook export: its identifying columns, other assignments, the posting and
# Points Possible rows, several sections, students with and without SIS ids, a test student.
EXPORT = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Lesson 1 (101),Quiz 2 (102)
    Manual Posting,,,,,Manual Posting,
    Points Possible,,,,,10.00,5.00
"Smith, Ana",12345,S001,asmith,Section A,8.00,4.00
"Doe, John",23456,S002,jdoe,Section B,,3.00
"Lee, Min",34567,,,Section A,9.00,
"Park, Jo",45678,S004,jpark,Section B,7.00,5.00
"Okafor, Chi",56789,S005,cokafor,Section C,,
"Student, Test",99999,,,Section A,,
"""


def record(student: str, status: Status = Status.GRADED, lost: float = 0.0, **extra) -> Record:
    mistake = Mistake("loss_sum", "The loss adds the errors up", "Average?") if lost else None
    checks = (
        CheckResult("loss.value", "loss", 5.0 - lost, 5.0, not lost, "", mistake),
        CheckResult("update.step", "update", 7.0, 7.0, True, ""),
    )
    if status != Status.GRADED:
        checks = ()
    return Record(student, status, 12.0, extra.pop("message", ""), checks=checks, **extra)


def published(tmp_path: Path, records: list[Record], roster=None, moodle=False):
    store = RecordStore(tmp_path / "out")
    for each in records:
        store.write(each)
    students = [each.student for each in records]
    return store, Published(tmp_path / "out", None, students, 1.0, CHECKS, roster, moodle)


def parsed(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.fixture
def roster(tmp_path: Path) -> CanvasRoster:
    path = tmp_path / "roster.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return read_canvas_roster(path)


def test_canvas_import_has_the_roster_points_possible_and_scores_of_matched_students(
    tmp_path, roster
):
    records = [
        record("12345", lost=3.0),  # by Canvas user id, as a Canvas download gives it
        record("S002"),  # by SIS User ID
        record("jpark", Status.TIMEOUT, message="too slow"),  # by SIS Login ID
        record("56789", Status.GRADER_ERROR, message="the judge failed"),
        record("77777"),  # on no roster row
    ]
    store, run = published(tmp_path, records, roster)
    written = write_canvas(store, run, class_rows(store, run))
    canvas = tmp_path / "out" / "canvas.csv"
    assert parsed(canvas) == [
        [*IDENTITY, "gradient_descent"],
        ["    Points Possible", "", "", "", "", "12.0"],
        ["Smith, Ana", "12345", "S001", "asmith", "Section A", "9.0"],
        ["Doe, John", "23456", "S002", "jdoe", "Section B", "12.0"],
        ["Lee, Min", "34567", "", "", "Section A", ""],
        ["Park, Jo", "45678", "S004", "jpark", "Section B", "0"],
        ["Okafor, Chi", "56789", "S005", "cokafor", "Section C", ""],  # the grader's fault
        ["Student, Test", "99999", "", "", "Section A", ""],
    ]
    unmatched = tmp_path / "out" / "canvas-unmatched.csv"
    assert parsed(unmatched) == [
        ["problem", "student id", "name", "section"],
        ["graded, but matches no roster row", "77777", "", ""],
        ["on the roster, but no submission", "34567", "Lee, Min", "Section A"],
        ["on the roster, but no submission", "99999", "Student, Test", "Section A"],
    ]
    assert written == [
        ("Canvas gradebook import", canvas),
        ("1 graded students match no Canvas roster row (77777), listed in", unmatched),
        (
            "2 Canvas roster students have no submission (Lee, Min, 34567; "
            "Student, Test, 99999), listed in",
            unmatched,
        ),
    ]


def test_an_assignment_canvas_already_has_keeps_its_column_and_two_ids_for_one_row_are_listed(
    tmp_path,
):
    path = tmp_path / "roster.csv"
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,gradient_descent (4242)\n"
        "    Points Possible,,,,,12.00\n"
        '"Smith, Ana",12345,S001,asmith,Section A,\n',
        encoding="utf-8",
    )
    store, run = published(
        tmp_path, [record("12345"), record("asmith", lost=2.0)], read_canvas_roster(path)
    )
    write_canvas(store, run, class_rows(store, run))
    rows = parsed(tmp_path / "out" / "canvas.csv")
    assert rows[0][-1] == "gradient_descent (4242)"
    assert rows[2] == ["Smith, Ana", "12345", "S001", "asmith", "Section A", "12.0"]
    assert parsed(tmp_path / "out" / "canvas-unmatched.csv")[1:] == [
        ["graded, but its roster row matches another student id too", "asmith", "", ""]
    ]


def test_a_roster_missing_the_sis_columns_still_matches_by_id(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("ID,Student\n12345,Ana\n", encoding="utf-8")
    store, run = published(tmp_path, [record("12345")], read_canvas_roster(path))
    write_canvas(store, run, class_rows(store, run))
    assert parsed(tmp_path / "out" / "canvas.csv")[2] == ["Ana", "12345", "", "", "", "12.0"]
    assert run.canvas.find("") is None  # a blank SIS cell is no one's id


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        (b"", "is not a CSV file"),
        (b"Student,SIS User ID\nAna,S001\n", "has no ID column"),
        (b"PK\x03\x04\x14\x00\x00\x08\x00\x00\xb7\xac\xce", "is not UTF-8 text"),
        (b"Student,ID\nAna,12345\nBen,12345\n", "has two students with ID 12345"),
        (b"ID,SIS Login ID\n1,ana\n2,ana\n", "has two students with SIS Login ID ana"),
        (b'ID,Student\n1,"unterminated\n', "is not a CSV file"),
    ],
)
def test_a_bad_roster_is_one_sentence(tmp_path, content, problem):
    path = tmp_path / "roster.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UsageError, match=problem) as refused:
        read_canvas_roster(path)
    assert "\n" not in str(refused.value)


def test_grade_refuses_a_bad_roster_before_writing_anything(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.ipynb").write_text("{}")
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,Section\nAna,A\n")
    out = tmp_path / "out"
    status = main(["grade", str(folder), "--out", str(out), "--canvas", str(roster)])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"error: the Canvas roster {roster} has no ID column: export it from Canvas"
    )
    assert not out.exists()


def test_moodle_worksheet_has_identifier_grade_and_feedback(tmp_path):
    records = [
        record("1021", lost=3.0, name="Ana Smith"),
        record("1022", Status.TIMEOUT, message="ran <for> ever", name="Ben Doe"),
        record("1023", Status.GRADER_ERROR, message="the judge failed", name="Cleo Li"),
    ]
    store, run = published(tmp_path, records, moodle=True)
    worksheet = tmp_path / "out" / "moodle.csv"
    assert write_moodle(store, run, class_rows(store, run)) == [
        ("Moodle grading worksheet", worksheet),
        (
            "1 students the grader failed on are left out (1023), so Moodle keeps their grades",
            worksheet,
        ),
    ]
    header, *rows = parsed(tmp_path / "out" / "moodle.csv")
    assert header == [
        "Identifier",
        "Full name",
        "Grade",
        "Maximum Grade",
        "Last modified (grade)",
        "Feedback comments",
    ]
    assert [row[:4] + row[5:] for row in rows] == [
        [
            "Participant 1021",
            "Ana Smith",
            "9.0",
            "12.0",
            "Score 9 of 12. Likely mistake: The loss adds the errors up",
        ],
        [
            "Participant 1022",
            "Ben Doe",
            "0",
            "12.0",
            "Score 0 of 12. timeout: ran &lt;for&gt; ever",
        ],
    ]
    for row in rows:
        assert datetime.fromisoformat(row[4]).tzinfo is not None


def test_feedback_rewrites_the_lms_files_the_grading_run_asked_for(tmp_path, roster, capsys):
    store, _ = published(tmp_path, [record("12345"), record("34567", lost=1.0)])
    lesson = lesson_in_process()
    store.save_run(RunInfo(seed=1, canvas_roster=str(roster.path), moodle=True, lesson=lesson))
    expected = RunInfo(1, canvas_roster=str(roster.path), moodle=True, lesson=lesson)
    assert RecordStore(tmp_path / "out").run() == expected
    assert main(["feedback", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert f"Canvas gradebook import: {tmp_path / 'out' / 'canvas.csv'}" in printed
    assert f"Moodle grading worksheet: {tmp_path / 'out' / 'moodle.csv'}" in printed
    assert parsed(tmp_path / "out" / "canvas.csv")[4][-1] == "11.0"
    assert len(parsed(tmp_path / "out" / "moodle.csv")) == 3
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert (run["canvas_roster"], run["moodle"]) == (str(roster.path), True)


# Property tests: whatever students and rosters hold, the files parse back whole and no cell
# is a formula.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(["\udc80", "\x1b", "\u202e", "\x00", "=", "+", "-", "@", "\t", "\r", "\n"]),
    ),
    max_size=30,
)
formula_like = st.sampled_from(
    ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1", "\r\n=1"]
)
hostile_ids = st.one_of(hostile_text, formula_like, st.integers(0, 99999).map(str))
records = st.builds(
    record,
    student=hostile_ids,
    status=st.sampled_from(list(Status)),
    lost=st.sampled_from([0.0, 2.0]),
    message=st.one_of(hostile_text, formula_like),
    name=st.one_of(hostile_text, formula_like),
)
roster_rows = st.builds(
    RosterRow, hostile_text, hostile_ids, hostile_text, hostile_text, formula_like | hostile_text
)


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(records, max_size=5, unique_by=lambda each: each.student),
    st.lists(roster_rows, max_size=5, unique_by=lambda row: row.ids()),
)
def test_any_students_and_roster_give_canvas_files_that_parse_back_whole(
    tmp_path_factory, batch, students
):
    tmp_path = tmp_path_factory.mktemp("canvas")
    roster = CanvasRoster(tmp_path / "roster.csv", tuple(students), "gradient_descent")
    store, run = published(tmp_path, batch, roster)
    write_canvas(store, run, class_rows(store, run))
    canvas = parsed(tmp_path / "out" / "canvas.csv")
    assert len(canvas) == 2 + len(students)
    assert all(len(row) == 6 for row in canvas)
    unmatched = parsed(tmp_path / "out" / "canvas-unmatched.csv")
    placed = {roster.find(each.student) for each in batch} - {None}
    assert len(unmatched) == 1 + len(batch) + len(students) - 2 * len(placed)
    assert_no_formula(canvas + unmatched)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, max_size=5))
def test_any_students_give_a_moodle_file_that_parses_back_whole(batch):
    text = moodle_csv(batch, 12.0, datetime(2026, 11, 25, tzinfo=UTC))
    text.encode("utf-8")  # valid Unicode: no lone surrogate survives
    rows = list(csv.reader(io.StringIO(text, newline="")))
    graded = [each for each in batch if each.status != Status.GRADER_ERROR]
    assert len(rows) == 1 + len(graded)
    assert all(len(row) == 6 for row in rows)
    assert_no_formula(rows)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "replace")))
def test_any_roster_file_is_read_or_refused_in_one_sentence(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_bytes(b"ID,Student\n" + data)
    try:
        roster = read_canvas_roster(path)
    except UsageError as refused:
        assert "\n" not in str(refused)
        return
    assert all(row.id and row.id == row.id.strip() for row in roster.students)
