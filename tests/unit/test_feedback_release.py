"""Beside each page in nbgrader's feedback folder, what `nbgrader release_feedback` reads: the
submission's own secret and the time it was submitted, as nbgrader writes them."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.judge.record import Record, Status
from autograder.outputs.feedback_release import write_release_files

SECRET = "9f" * 64  # as nbgrader submit writes it


def submitted(course: Path, folder: str, secret: bytes | None) -> None:
    path = course / "submitted" / folder / "gradient_descent"
    path.mkdir(parents=True)
    if secret is not None:
        (path / "submission_secret.txt").write_bytes(secret)


def release_files(course: Path, folder: str) -> tuple[str, str]:
    path = course / "feedback" / folder / "gradient_descent"
    return (
        (path / "submission_secret.txt").read_text(),
        (path / "timestamp.txt").read_text(),
    )


def row(student: str, submitted_at: str | None = None) -> Record:
    return Record(student, Status.GRADED, 12.0, "", submitted_at=submitted_at)


def test_each_page_gets_its_submissions_secret_and_time_as_nbgrader_writes_them(tmp_path):
    submitted(tmp_path, "ana.smith@uni.edu", SECRET.encode())
    submitted(tmp_path, "caf\udce9", SECRET.encode())
    records = [
        row("ana.smith@uni.edu", "2026-11-20T10:22:11.123456+00:00"),
        row("caf\\xe9", "2026-11-20T18:22:11-08:00"),
    ]
    assert write_release_files(tmp_path, records) == []
    assert release_files(tmp_path, "ana.smith@uni.edu") == (
        SECRET,
        "2026-11-20 10:22:11.123456 UTC",
    )
    assert release_files(tmp_path, "caf\udce9") == (SECRET, "2026-11-21 02:22:11.000000 UTC")


def test_a_submission_without_a_usable_secret_gets_a_fresh_one_kept_across_runs(tmp_path):
    submitted(tmp_path, "by hand", None)
    submitted(tmp_path, "empty", b"")
    submitted(tmp_path, "pipe", None)
    os.mkfifo(tmp_path / "submitted" / "pipe" / "gradient_descent" / "submission_secret.txt")
    records = [row("by hand"), row("empty", "not a time"), row("pipe")]
    assert write_release_files(tmp_path, records) == records
    first = {student: release_files(tmp_path, student) for student in ("by hand", "empty", "pipe")}
    assert all(len(secret) == 128 and time == "" for secret, time in first.values())
    assert len({secret for secret, _ in first.values()}) == 3
    write_release_files(tmp_path, records)
    assert {s: release_files(tmp_path, s) for s in first} == first
