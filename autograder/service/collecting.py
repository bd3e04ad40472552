"""One arrival copied into the course's `submitted/`, as `nbgrader collect --update` copies it.

The copy takes only folders and regular files (a link, a pipe or a device a student left in
the exchange is not copied, and so is never followed or opened), at most `MAX_ENTRIES` entries
and `MAX_BYTES` in all, into a fresh folder that then takes the place of the student's earlier
submission. `timestamp.txt` is written from the folder's own name, the time the service
decides by, whatever the student's copy of it says; their `submission_secret.txt` is kept, as
`release_feedback` needs it to name the page their `fetch_feedback` looks for.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import replace
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.exercise import ASSIGNMENT
from autograder.intake.course_tree import TIMESTAMP
from autograder.intake.handed_in import MAX_ENTRIES, Found, Place, walk
from autograder.intake.ids import course_folder
from autograder.intake.submissions import Submission, submission_of
from autograder.intake.times import nbgrader_time
from autograder.service.exchange import Arrival

MAX_BYTES = 100 * 1024 * 1024  # of one submission copied into submitted/


def submitted_folder(course_root: Path, student: str) -> Path:
    return course_root / "submitted" / course_folder(student) / ASSIGNMENT


def collect_arrival(course_root: Path, arrival: Arrival) -> Submission:
    """Copy `arrival` into `submitted/`, replacing the student's earlier submission, and
    return it as the submission to grade."""
    destination = submitted_folder(course_root, arrival.student)
    destination.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=".collecting-", dir=destination.parent))
    try:
        _copy_tree(arrival.folder, fresh, [MAX_ENTRIES, MAX_BYTES])
        write_atomically(fresh / TIMESTAMP, nbgrader_time(arrival.submitted_at), durable=False)
        _replace(fresh, destination)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return submission_in_course(course_root, arrival.student, arrival.submitted_at)


def submission_in_course(course_root: Path, student: str, submitted_at: str) -> Submission:
    """The student's submission in `submitted/`, its notebook chosen as `grade` chooses it."""
    folder = submitted_folder(course_root, student)
    place = Place(course_root / "submitted", "submitted")
    found = Found(folder.parent.name, tuple(walk(folder)), folder, submitted_at=submitted_at)
    submission, _ = submission_of(found, place)
    return replace(submission, student=student)  # the id, even where the folder is escaped


def _replace(fresh: Path, destination: Path) -> None:
    """Put `fresh` where `destination` is; the earlier folder is removed after the swap."""
    if os.path.lexists(destination):
        old = Path(tempfile.mkdtemp(prefix=".replaced-", dir=destination.parent))
        os.replace(destination, old / "old")
        os.replace(fresh, destination)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(fresh, destination)


def _copy_tree(source: Path, target: Path, left: list[int]) -> None:
    """Copy folders and regular files only; `left` is [entries, bytes] still allowed."""
    try:
        entries = sorted(os.scandir(source), key=lambda each: each.name)
    except OSError:
        return
    for each in entries:
        if left[0] <= 0:
            return
        left[0] -= 1
        try:
            mode = each.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            (target / each.name).mkdir()
            _copy_tree(Path(each.path), target / each.name, left)
        elif stat.S_ISREG(mode):
            _copy_file(Path(each.path), target / each.name, left)


def _copy_file(source: Path, target: Path, left: list[int]) -> None:
    """Copy one regular file (opened without following a link, and checked again once open),
    no more than the bytes still allowed."""
    try:
        handle = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return
    with os.fdopen(handle, "rb") as stream:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            return
        data = stream.read(left[1] + 1)
    if len(data) > left[1]:
        left[1] = 0
        return
    left[1] -= len(data)
    target.write_bytes(data)
