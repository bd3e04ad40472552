"""nbgrader's default exchange, as `nbgrader submit` leaves it and `nbgrader collect` reads it.

Each submission is a folder `<root>/<course_id>/inbound/<student>+<assignment>+<time>+<random>`
(or without `+<random>`); nbgrader's collect splits its name from the right, so a student id
may itself hold `+`. Its time, as the folder's name gives it, decides which submission of a
student is the latest, as it does for `nbgrader collect --update`. `submit` copies the files
in first and writes `submission_secret.txt` last, so a folder without its secret may still be
arriving: it is waited for, for `SETTLE_SECONDS` at most. Names are the students' (any bytes
a file system takes): each is read through `ids.student_id` and nothing in it is trusted.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.course_tree import SECRET
from autograder.intake.handed_in import is_folder, read_small
from autograder.intake.ids import student_id
from autograder.intake.times import parse_time

SETTLE_SECONDS = 30.0  # a folder still without its secret after this is taken as it is


@dataclass(frozen=True)
class ExchangePlace:
    """Where one course's submissions arrive and its feedback is released."""

    root: Path  # nbgrader's `Exchange.root`
    course_id: str  # nbgrader's `CourseDirectory.course_id`

    @property
    def inbound(self) -> Path:
        return self.root / self.course_id / "inbound"

    @property
    def feedback(self) -> Path:
        return self.root / self.course_id / "feedback"


@dataclass(frozen=True)
class Arrival:
    """One submission in the inbound folder."""

    student: str  # the kit's id for the name the folder gives
    folder: Path
    submitted_at: str  # ISO 8601 in UTC, from the folder's name

    @property
    def key(self) -> tuple[str, str]:
        return self.student, self.submitted_at


def exchange_place(course_root: Path, root: str | None, course_id: str | None) -> ExchangePlace:
    """The course's exchange, as nbgrader's own commands find it: the `nbgrader_config.py`
    files of Jupyter's config path, then the course's own; `root` and `course_id` override."""
    from jupyter_core.paths import jupyter_config_path
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import Exchange
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in [*reversed(jupyter_config_path()), str(course_root)]:
        if (Path(folder) / "nbgrader_config.py").is_file():
            config.merge(PyFileConfigLoader("nbgrader_config.py", folder).load_config())
    exchange_root = root or Exchange(config=config).root
    course = course_id or CourseDirectory(config=config).course_id
    return ExchangePlace(Path(exchange_root), course)


def parse_name(name: str) -> tuple[str, str] | None:
    """(student name, time) from an inbound folder's name, or None when it is not a
    submission of this assignment with a time."""
    for parts in (name.rsplit("+", 3), name.rsplit("+", 2)):
        if len(parts) >= 3 and parts[1] == ASSIGNMENT:
            moment = parse_time(parts[2])
            return (parts[0], moment) if moment else None
    return None


def latest_arrivals(place: ExchangePlace, now: float | None = None) -> list[Arrival]:
    """Each student's latest complete submission, oldest first. A student whose latest is
    still arriving is left out until it has arrived (their earlier one would be replaced)."""
    now = time.time() if now is None else now
    latest: dict[str, tuple[str, str, Path]] = {}
    try:
        entries = list(os.scandir(place.inbound))
    except OSError:
        return []
    for each in entries:
        parsed = parse_name(each.name)
        if parsed is None:
            continue
        student = student_id(parsed[0])
        order = (parsed[1], each.name)
        if student not in latest or order > latest[student][:2]:
            latest[student] = (*order, Path(each.path))
    found = [
        Arrival(student, folder, moment)
        for student, (moment, _, folder) in latest.items()
        if is_folder(folder) and arrived(folder, now)
    ]
    return sorted(found, key=lambda arrival: (arrival.submitted_at, arrival.student))


def arrived(folder: Path, now: float) -> bool:
    """Whether `submit` has finished writing `folder`: its secret is there, or the folder
    has not changed for `SETTLE_SECONDS` (a submit that died half-way, or a hand-made one)."""
    if read_small(folder / SECRET):
        return True
    try:
        return now - folder.lstat().st_mtime > SETTLE_SECONDS
    except OSError:
        return False
