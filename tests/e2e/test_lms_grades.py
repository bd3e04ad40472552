"""A Canvas download graded with `--canvas` and `--moodle` through the real sandbox: the import
files hold every roster student, the scores of those who submitted, and a rebuild rewrites them."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tests.corpus.answers import CORRECT, WRONG
from tests.support.course import ROOT
from tests.support.notebooks import notebook_for, write_submission

pytestmark = pytest.mark.slow
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Lesson 1 (101)
    Points Possible,,,,,10.00
"Smith, Ana",12345,S001,asmith,Section A,8.00
"Doe, John",23456,S002,jdoe,Section B,
"Lee, Min",34567,,,Section A,9.00
"Student, Test",99999,,,Section A,
"""


def autograder(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.reader(stream))


def test_a_canvas_download_graded_with_a_roster_gives_canvas_and_moodle_files(tmp_path):
    loss_sum = next(answer for answer in WRONG if answer.name == "loss_sum")
    download = tmp_path / "download"
    write_submission(
        download / "smithana_12345_678901_gradient_descent.ipynb", notebook_for(CORRECT[0])
    )
    write_submission(
        download / "doejohn_LATE_23456_678902_gradient_descent.ipynb", notebook_for(loss_sum)
    )
    write_submission(
        download / "newstudent_77777_678903_gradient_descent.ipynb", notebook_for(CORRECT[0])
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "out"

    done = autograder(
        "grade", str(download), "--out", str(out), "--canvas", str(roster), "--moodle"
    )

    assert done.returncode == 0, done.stderr
    assert rows(out / "canvas.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "gradient_descent"],
        ["    Points Possible", "", "", "", "", "12.0"],
        ["Smith, Ana", "12345", "S001", "asmith", "Section A", "12.0"],
        ["Doe, John", "23456", "S002", "jdoe", "Section B", "9.0"],
        ["Lee, Min", "34567", "", "", "Section A", ""],
        ["Student, Test", "99999", "", "", "Section A", ""],
    ]
    unmatched = out / "canvas-unmatched.csv"
    assert f"1 graded students match no Canvas roster row (77777), listed in: {unmatched}" in (
        done.stdout
    )
    assert (
        "2 Canvas roster students have no submission (Lee, Min, 34567; Student, Test, 99999)"
    ) in done.stdout
    assert rows(unmatched)[1] == [
        "graded, but matches no roster row",
        "77777",
        "newstudent",
        "",
    ]
    moodle = rows(out / "moodle.csv")
    assert [row[:4] for row in moodle[1:]] == [
        ["Participant 12345", "smithana", "12.0", "12.0"],
        ["Participant 23456", "doejohn", "9.0", "12.0"],
        ["Participant 77777", "newstudent", "12.0", "12.0"],
    ]

    (out / "canvas.csv").unlink()
    (out / "moodle.csv").unlink()
    rebuilt = autograder("feedback", "--out", str(out))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rows(out / "canvas.csv")[3] == ["Doe, John", "23456", "S002", "jdoe", "Section B", "9.0"]
    assert len(rows(out / "moodle.csv")) == 4
