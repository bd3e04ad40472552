"""nbgrader's `submitted/` folder: `submitted/<student>/<assignment>/`, as `nbgrader collect`
leaves it (with `timestamp.txt` and `submission_secret.txt`) or as an instructor copies it in.

The student id is the student's folder name, exactly as nbgrader knows it. A student folder
without this assignment (a student who handed in only another one) is listed as skipped, as
is anything in `submitted/` that is not a student's folder; a `timestamp.txt` that holds no
time leaves the row without one, and is listed. Nothing here stops the class being graded.
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.handed_in import Found, Place, is_folder, listing, read_small, walk
from autograder.intake.times import parse_time

TIMESTAMP = "timestamp.txt"  # what nbgrader submit writes: when the student submitted
SECRET = "submission_secret.txt"  # what nbgrader submit writes: the key of their feedback


def assignment_folder(student_folder: Path) -> Path:
    return student_folder / ASSIGNMENT


def is_submitted_tree(paths: list[Path]) -> bool:
    """Whether a folder whose entries are `paths` is nbgrader's `submitted/`: one of its
    folders holds this assignment's folder."""
    return any(
        is_folder(path) and is_folder(assignment_folder(path))
        for path in paths
        if not path.name.startswith(".")
    )


def students(place: Place, paths: list[Path]) -> tuple[list[Found], list[str]]:
    """(students found, skipped lines) in `submitted/`, whose entries are `paths`."""
    found, skipped = [], []
    for path in paths:
        if path.name.startswith(".") or not is_folder(path):
            skipped.append(place.skipped(path, "not a student's folder"))
            continue
        try:
            inside = listing(path)
        except OSError as error:
            skipped.append(place.skipped(path, f"cannot be read ({error.strerror})"))
            continue
        folder = assignment_folder(path)
        if not is_folder(folder):
            skipped.append(place.skipped(path, f"holds no {ASSIGNMENT} folder{_holds(inside)}"))
            continue
        submitted_at, problem = _timestamp(folder / TIMESTAMP)
        if problem:
            skipped.append(place.skipped(folder / TIMESTAMP, problem))
        found.append(Found(path.name, tuple(walk(folder)), folder, submitted_at=submitted_at))
    return found, skipped


def _holds(inside: list[Path]) -> str:
    names = [path.name for path in inside]
    if not names:
        return " (it is empty)"
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return f" (it holds {shown})"


def _timestamp(path: Path) -> tuple[str | None, str]:
    """(when the student submitted, what is wrong with the file) from nbgrader's
    timestamp.txt; a submission without one has no time and nothing wrong."""
    if not os.path.lexists(path):
        return None, ""
    data = read_small(path)
    if data is None:
        return None, "cannot be read as a timestamp; the submission time is left blank"
    text = data.decode("utf-8", errors="replace")
    moment = parse_time(text)
    if moment is None:
        return None, f"holds no submission time ({text[:60]!r}); it is left blank"
    return moment, ""
