"""The class-wide files kept current while the service runs: `results.json`, `grades.csv`,
`report.html`, `mistakes.csv`, the LMS files when asked for, and `run.json`'s class.

Each is made from every record's row, so each rebuild costs in proportion to the class
(about 0.3 s of CPU for 300 students). They are rebuilt in a thread of their own, at a low
scheduling priority so that the judge workers go first, and a student's own outputs (gradebook
row, notebook, page) never wait for them: when nothing waits to be graded, at most once every
`every` seconds; in a rush, only once every `RUSH_SECONDS`; and once more when the service
stops.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from autograder.batch.store import RecordStore, RunInfo
from autograder.intake.roster import CanvasRoster
from autograder.judge.record import CheckSpec
from autograder.outputs.publish import (
    Published,
    write_canvas,
    write_moodle,
    write_report,
    write_results,
)

CLASS_WRITERS = (write_results, write_report, write_canvas, write_moodle)
RUSH_SECONDS = 60.0  # at least between two rebuilds while submissions wait to be graded
LOW_PRIORITY = 10  # the rebuilding thread's nice value


class ClassFiles:
    """Rebuilds the class files from the records, in the background, when told they changed."""

    def __init__(
        self,
        store: RecordStore,
        info: RunInfo,
        checks: tuple[CheckSpec, ...],
        roster: CanvasRoster | None,
        every: float,
    ) -> None:
        self.store = store
        self.info = info
        self.checks = checks
        self.roster = roster
        self.every = every
        self.students: set[str] = set(info.students or ())
        self._dirty = False
        self._started = float("-inf")
        self._running: Future[None] | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="class-files")

    def changed(self, student: str) -> None:
        self.students.add(student)
        self._dirty = True

    def maybe_rebuild(self, waiting: int) -> Future[None] | None:
        """Start a rebuild if something changed, none is running, and the last one started
        `every` seconds ago when nothing is `waiting` to be graded (`RUSH_SECONDS` when
        something is); the rebuild's future, to learn of its errors."""
        idle = self._running is None or self._running.done()
        since = time.monotonic() - self._started
        if not (self._dirty and idle and since >= (RUSH_SECONDS if waiting else self.every)):
            return None
        self._dirty, self._started = False, time.monotonic()
        info = replace(self.info, students=tuple(sorted(self.students)))
        self._running = self._thread.submit(self._rebuild, info)
        return self._running

    def close(self) -> None:
        """Finish a running rebuild, and rebuild once more if anything changed since."""
        self._thread.shutdown(wait=True)
        if self._dirty:
            self._rebuild(replace(self.info, students=tuple(sorted(self.students))))
            self._dirty = False

    def _rebuild(self, info: RunInfo) -> None:
        self.store.save_run(info)
        if threading.current_thread() is not threading.main_thread():
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOW_PRIORITY)
        published = Published(
            self.store.out_dir,
            Path(info.course_root) if info.course_root else None,
            list(info.students or ()),
            None,
            self.checks,
            self.roster,
            info.moodle,
            info.lesson,
        )
        for writer in CLASS_WRITERS:
            writer(self.store, published)
