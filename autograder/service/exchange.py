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
from datetime import datetime
from pathlib import Path

from autograder.exercise import ASSIGNMENT
from autograder.intake.course_tree import SECRET
from autograder.intake.handed_in import is_folder, read_small
from autograder.intake.ids import student_id
from autograder.intake.times import parse_time

SETTLE_SECONDS = 30.0  # a folder still without its secret after this is taken as it is
RESCAN_SECONDS = 2.0  # an unchanged inbound is listed again at least this often


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
    moment: datetime  # in UTC, from the folder's name

    @property
    def submitted_at(self) -> str:
        """As records keep it: ISO 8601."""
        return self.moment.isoformat()

    @property
    def key(self) -> tuple[str, datetime]:
        return self.student, self.moment


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


class Inbound:
    """The inbound folder, listed again when it changes. What a folder's name says, and that a
    folder has arrived, never change, so each is worked out once per folder, and each look
    works on the folders new since the last: what a look costs does not grow with the number
    of submissions already there (beyond listing the folder)."""

    def __init__(self, place: ExchangePlace) -> None:
        self.place = place
        self._names: dict[str, tuple[str, datetime] | None] = {}
        self._latest: dict[str, tuple[datetime, str]] = {}  # each student's latest folder
        self._waiting: set[str] = set()  # students whose latest folder is still arriving
        self._last: tuple[tuple[int, int], float] | None = None
        self._arrived: dict[str, Arrival] = {}

    def news(self, now: float | None = None) -> list[Arrival]:
        """Each student's latest complete submission that no earlier call returned (every
        student's, the first time), oldest first. A student whose latest is still arriving
        is left out until it has arrived (it replaces the earlier one). When folders were
        removed, every student's latest is returned again."""
        now = time.time() if now is None else now
        try:
            folder = os.stat(self.place.inbound)
            stamp = (folder.st_mtime_ns, folder.st_nlink)  # a new folder changes both
            fresh = self._last is None or self._last[0] != stamp
            if not fresh and not self._waiting and now - self._last[1] < RESCAN_SECONDS:
                return []
            listed = set(os.listdir(self.place.inbound))
        except OSError:
            return []
        self._last = (stamp, now)
        if self._names.keys() - listed:  # folders were removed: start again from what is left
            self._names, self._latest, self._waiting = {}, {}, set()
            self._arrived = {n: kept for n, kept in self._arrived.items() if n in listed}
        changed = set(self._waiting)
        for name in listed - self._names.keys():
            parsed = self._parsed(name)
            if parsed is None:
                continue
            student, moment = parsed
            if student not in self._latest or (moment, name) > self._latest[student]:
                self._latest[student] = (moment, name)
                changed.add(student)
        news, self._waiting = [], set()
        for student in changed:
            arrival = self._arrival(self._latest[student][1], now)
            if arrival is None:
                self._waiting.add(student)
            else:
                news.append(arrival)
        return sorted(news, key=lambda arrival: (arrival.moment, arrival.student))

    def _parsed(self, name: str) -> tuple[str, datetime] | None:
        parsed = parse_name(name)
        self._names[name] = (
            (student_id(parsed[0]), datetime.fromisoformat(parsed[1])) if parsed else None
        )
        return self._names[name]

    def _arrival(self, name: str, now: float) -> Arrival | None:
        """The arrival in folder `name`, once it has arrived."""
        if name not in self._arrived:
            folder = self.place.inbound / name
            parsed = self._names[name]
            if parsed is None or not (is_folder(folder) and arrived(folder, now)):
                return None
            self._arrived[name] = Arrival(parsed[0], folder, parsed[1])
        return self._arrived[name]


def arrived(folder: Path, now: float) -> bool:
    """Whether `submit` has finished writing `folder`: its secret is there, or the folder
    has not changed for `SETTLE_SECONDS` (a submit that died half-way, or a hand-made one)."""
    if read_small(folder / SECRET):
        return True
    try:
        return now - folder.lstat().st_mtime > SETTLE_SECONDS
    except OSError:
        return False
