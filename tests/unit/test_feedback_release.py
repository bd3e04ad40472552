"""Beside each page in nbgrader's feedback folder, what `nbgrader release_feedback` reads: the
submission's own secret and the time it was submitted, as nbgrader writes them."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.batch.store import RecordStore
from autograder.judge.record import Record, Status
from autograder.outputs import feedback_release
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
    submitted(tmp_path, "folder", None)
    (tmp_path / "submitted" / "folder" / "gradient_descent" / "submission_secret.txt").mkdir()
    students = ("by hand", "empty", "pipe", "folder")
    records = [row("by hand"), row("empty", "not a time"), row("pipe"), row("folder")]
    assert write_release_files(tmp_path, records) == records
    first = {student: release_files(tmp_path, student) for student in students}
    assert all(len(secret) == 128 and time == "" for secret, time in first.values())
    assert len({secret for secret, _ in first.values()}) == len(students)
    write_release_files(tmp_path, records)
    assert {s: release_files(tmp_path, s) for s in first} == first


SETTLED = 1_000_000_000.0  # a modification time long past: the file has settled


def settled(path: Path) -> None:
    global SETTLED
    SETTLED += 1
    os.utime(path, (SETTLED, SETTLED))


secret_change = st.one_of(
    st.tuples(
        st.just("secret"),
        st.sampled_from(("ana", "ben")),
        st.sampled_from((b"", b"a" * 8, b"b" * 8, None)),
    ),
    st.tuples(
        st.just("regraded"),
        st.sampled_from(("ana", "ben")),
        st.sampled_from(("2026-11-20T10:00:00+00:00", None)),
    ),
    st.tuples(
        st.just("page_files"), st.sampled_from(("ana", "ben")), st.sampled_from(("delete", "edit"))
    ),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(secret_change, max_size=10))
def test_noted_files_are_left_alone_only_while_a_full_run_would_leave_them(
    tmp_path_factory, changes
):
    """After any changes to the submitted secrets, the records and the written files, a run
    that trusts its note leaves the feedback folders as a run that reads everything would,
    and names the same students as having no secret of their own."""
    course = tmp_path_factory.mktemp("course")
    store, note = RecordStore(course / "out"), course / "out" / "noted.json"
    for student in ("ana", "ben"):
        submitted(course, student, SECRET.encode())
        settled(course / "submitted" / student / "gradient_descent" / "submission_secret.txt")
        store.write(row(student))
    records = lambda: [store.row(student) for student in ("ana", "ben")]  # noqa: E731
    write_release_files(course, records(), note, store.record_file)
    for kind, student, value in changes:
        folder = course / ("submitted" if kind == "secret" else "feedback") / student
        secret = folder / "gradient_descent" / "submission_secret.txt"
        if kind == "secret":
            secret.unlink(missing_ok=True)
            if value is not None:
                secret.write_bytes(value)
                settled(secret)
        elif kind == "regraded":
            store.write(row(student, value))
        elif value == "delete":
            secret.unlink(missing_ok=True)
        else:
            secret.write_text("edited by hand")
        trusting = write_release_files(course, records(), note, store.record_file)
        before = {s: release_files(course, s) for s in ("ana", "ben")}
        assert write_release_files(course, records()) == trusting
        assert {s: release_files(course, s) for s in ("ana", "ben")} == before


def test_a_noted_student_is_not_read_again(tmp_path, monkeypatch):
    store, note = RecordStore(tmp_path / "out"), tmp_path / "out" / "noted.json"
    submitted(tmp_path, "ana", SECRET.encode())
    settled(tmp_path / "submitted" / "ana" / "gradient_descent" / "submission_secret.txt")
    store.write(row("ana"))
    assert write_release_files(tmp_path, [store.row("ana")], note, store.record_file) == []
    monkeypatch.setattr(feedback_release, "read_small", read_needlessly)
    assert write_release_files(tmp_path, [store.row("ana")], note, store.record_file) == []


def read_needlessly(path: Path) -> None:
    raise AssertionError(f"{path} was read though nothing it is made from changed")
