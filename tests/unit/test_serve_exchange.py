"""The service's side of nbgrader's exchange, on real folders: what an inbound folder's name
says, each student's latest complete submission, a submission copied into `submitted/` whatever
the student left in it, and a page released where `fetch_feedback` looks."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.intake.ids import student_id
from autograder.service.collecting import collect_arrival, submitted_folder
from autograder.service.exchange import SETTLE_SECONDS, ExchangePlace, Inbound, parse_name
from autograder.service.releasing import release_page

TIME = "2026-12-02 10:00:00.123456 UTC"
LATER = "2026-12-02 10:05:00.000000 UTC"
SECRET = "9f" * 64


def arrive(place: ExchangePlace, name: str, secret: str | None = SECRET) -> Path:
    folder = place.inbound / name
    folder.mkdir(parents=True)
    (folder / "gradient_descent.ipynb").write_text('{"cells": []}')
    (folder / "timestamp.txt").write_text(TIME)
    if secret is not None:
        (folder / "submission_secret.txt").write_text(secret)
    return folder


def test_a_name_gives_the_student_and_the_time_split_from_the_right_as_collect_does():
    assert parse_name(f"ana+gradient_descent+{TIME}+Xy_z-1") == (
        "ana",
        "2026-12-02T10:00:00.123456+00:00",
    )
    assert parse_name(f"a+b+gradient_descent+{TIME}+Xy") == (
        "a+b",
        "2026-12-02T10:00:00.123456+00:00",
    )
    assert parse_name(f"ana+gradient_descent+{TIME}") == ("ana", "2026-12-02T10:00:00.123456+00:00")
    assert parse_name(f"ana+other_assignment+{TIME}+Xy") is None
    assert parse_name("ana+gradient_descent+9999-01-01 00:00:00 UTC+Xy") is None
    assert parse_name("ana+gradient_descent+not a time+Xy") is None
    assert parse_name("gradient_descent.ipynb") is None


def test_each_students_latest_complete_submission_oldest_first(tmp_path):
    place = ExchangePlace(tmp_path, "course")
    arrive(place, f"bo+gradient_descent+{LATER}+a")
    arrive(place, f"ana+gradient_descent+{TIME}+a")
    arrive(place, f"ana+gradient_descent+{LATER}+b")
    arrive(place, f"caf\udce9+gradient_descent+{TIME}+a")  # a name that is not UTF-8
    (place.inbound / f"file+gradient_descent+{TIME}+a").write_text("not a folder")
    latest = Inbound(place).news()
    assert [(arrival.student, arrival.folder.name[-1]) for arrival in latest] == [
        ("caf\\xe9", "a"),
        ("ana", "b"),
        ("bo", "a"),
    ]
    assert latest[1].moment == datetime(2026, 12, 2, 10, 5, tzinfo=UTC)


def test_a_submission_still_arriving_holds_its_student_back_until_it_has_arrived(tmp_path):
    place = ExchangePlace(tmp_path, "course")
    arrive(place, f"ana+gradient_descent+{TIME}+a")
    arriving = arrive(place, f"ana+gradient_descent+{LATER}+b", secret=None)
    inbound = Inbound(place)
    assert inbound.news() == []  # the earlier one would be replaced at once
    (arriving / "submission_secret.txt").write_text(SECRET)
    [arrival] = inbound.news(time.time() + 3)  # the unchanged folder is looked at again
    assert arrival.folder == arriving


def test_a_submission_that_never_gets_its_secret_is_taken_once_it_has_settled(tmp_path):
    place = ExchangePlace(tmp_path, "course")
    folder = arrive(place, f"ana+gradient_descent+{TIME}+a", secret=None)
    inbound = Inbound(place)
    assert inbound.news() == []
    [arrival] = inbound.news(folder.stat().st_mtime + SETTLE_SECONDS + 1)
    assert arrival.folder == folder


def test_collecting_copies_folders_and_regular_files_only_and_times_it_by_its_name(tmp_path):
    place = ExchangePlace(tmp_path / "exchange", "course")
    course = tmp_path / "course"
    folder = arrive(place, f"..+gradient_descent+{LATER}+a")
    (folder / "timestamp.txt").write_text("1999-01-01 00:00:00 UTC")  # the student's own
    (folder / "data").mkdir()
    (folder / "data" / "points.csv").write_text("1,2\n")
    (folder / "link.ipynb").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.ipynb")  # never opened: reading it would wait for ever
    [arrival] = Inbound(place).news()
    submission = collect_arrival(course, arrival)
    target = submitted_folder(course, "..")
    assert target == course / "submitted" / "%2E." / "gradient_descent"
    assert submission.student == ".." and submission.notebook == target / "gradient_descent.ipynb"
    assert sorted(path.name for path in target.rglob("*")) == [
        "data",
        "gradient_descent.ipynb",
        "points.csv",
        "submission_secret.txt",
        "timestamp.txt",
    ]
    assert (target / "timestamp.txt").read_text() == "2026-12-02 10:05:00.000000 UTC"
    assert submission.submitted_at == "2026-12-02T10:05:00+00:00"


def test_collecting_again_replaces_the_earlier_submission(tmp_path):
    place = ExchangePlace(tmp_path / "exchange", "course")
    course = tmp_path / "course"
    first = arrive(place, f"ana+gradient_descent+{TIME}+a")
    (first / "old.txt").write_text("from the first submission")
    collect_arrival(course, Inbound(place).news()[0])
    arrive(place, f"ana+gradient_descent+{LATER}+b")
    collect_arrival(course, Inbound(place).news()[0])
    target = submitted_folder(course, "ana")
    assert not (target / "old.txt").exists()
    assert sorted(path.name for path in target.parent.iterdir()) == ["gradient_descent"]


def test_a_page_is_released_under_the_name_fetch_feedback_computes_readable_by_all(tmp_path):
    place = ExchangePlace(tmp_path / "exchange", "course")
    page = tmp_path / "feedback" / "ana" / "gradient_descent" / "gradient_descent.html"
    page.parent.mkdir(parents=True)
    page.write_text("<p>12 / 12</p>")
    assert release_page(place, page) is None  # no secret: nobody could fetch it
    (page.parent / "submission_secret.txt").write_text(SECRET)
    released = release_page(place, page)
    name = hashlib.md5((SECRET + "gradient_descent").encode()).hexdigest()
    assert released == place.feedback / f"{name}.html"
    assert released.read_text() == "<p>12 / 12</p>"
    assert stat.S_IMODE(released.stat().st_mode) == 0o644
    assert [path.name for path in place.feedback.iterdir()] == [f"{name}.html"]


folder_texts = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), max_size=80
)


@settings(max_examples=300, deadline=None)
@given(folder_texts)
def test_any_inbound_folder_name_parses_to_a_student_and_time_or_is_passed_over(name):
    parsed = parse_name(name)
    if parsed is not None:
        student, moment = parsed
        student_id(student)
        datetime.fromisoformat(moment)


@settings(max_examples=300, deadline=None)
@given(folder_texts, st.text(alphabet="abcXYZ019_-", min_size=1, max_size=12))
def test_whatever_the_student_name_the_submission_is_theirs(student, random):
    assert parse_name(f"{student}+gradient_descent+{TIME}+{random}") == (
        student,
        "2026-12-02T10:00:00.123456+00:00",
    )


inbound_steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("arrive"),
            st.sampled_from(["ana", "bo", "cy"]),
            st.integers(0, 3),
            st.sampled_from(["a", "b"]),
            st.booleans(),
        ),
        st.tuples(st.just("complete"), st.integers(0, 20)),
        st.tuples(st.just("remove"), st.integers(0, 20)),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(inbound_steps)
def test_what_the_inbound_reports_is_each_students_latest_complete_submission(
    tmp_path_factory, steps
):
    """Whatever arrives, completes or is removed between two looks, the last arrival each
    look reported for a student is their latest folder once it is complete, and a student
    whose latest is still arriving is not reported."""
    place = ExchangePlace(tmp_path_factory.mktemp("exchange"), "course")
    place.inbound.mkdir(parents=True)
    inbound = Inbound(place)
    reported: dict[str, str] = {}
    for step in steps:
        folders = sorted(place.inbound.iterdir())
        if step[0] == "arrive":
            _, student, minute, suffix, complete = step
            name = f"{student}+gradient_descent+2026-12-02 10:0{minute}:00.000000 UTC+{suffix}"
            if not (place.inbound / name).exists():
                arrive(place, name, SECRET if complete else None)
        elif folders and step[0] == "complete":
            (folders[step[1] % len(folders)] / "submission_secret.txt").write_text(SECRET)
        elif folders:
            for path in (folders[step[1] % len(folders)]).iterdir():
                path.unlink()
            (folders[step[1] % len(folders)]).rmdir()
        news = inbound.news()
        assert news == sorted(news, key=lambda arrival: (arrival.moment, arrival.student))
        assert len({arrival.student for arrival in news}) == len(news)
        reported |= {arrival.student: arrival.folder.name for arrival in news}
        latest: dict[str, tuple[str, str]] = {}
        for folder in place.inbound.iterdir():
            student, moment = parse_name(folder.name)
            latest[student] = max(latest.get(student, ("", "")), (moment, folder.name))
        for student, (_, name) in latest.items():
            if (place.inbound / name / "submission_secret.txt").is_file():
                assert reported.get(student) == name
            else:
                assert student not in {arrival.student for arrival in news}
