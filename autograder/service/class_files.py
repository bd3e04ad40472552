"""The class-wide files kept current while the service runs: `results.json`, `grades.csv`,
`report.html`, `mistakes.csv`, the LMS files when asked for, and `run.json`'s class.

Each is made from every student's row, so a rebuild costs in proportion to the class (about
1.2 s of CPU at 10,000 students). So that no student's feedback waits for one, rebuilds run in
a process of their own, at a low scheduling priority (the judge workers go first), never in
the service's loop; and they are spaced by their own cost (`SPACING`), so that however large
the class they take at most a tenth of the time: when nothing waits to be graded, at most once
every `every` seconds; in a rush, at most once every `RUSH_SECONDS`; and once more when the
service stops. The rebuilding process keeps the rows it has read, and reads again only those
whose record changed.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

from autograder.batch.store import RecordStore, RunInfo
from autograder.batch.worker import ignore_ctrl_c
from autograder.intake.roster import CanvasRoster
from autograder.judge.record import CheckSpec
from autograder.outputs.publish import (
    Published,
    rows,
    write_canvas,
    write_moodle,
    write_report,
    write_results,
)
from autograder.service.pool import die_with

CLASS_WRITERS = (write_results, write_report, write_canvas, write_moodle)
RUSH_SECONDS = 60.0  # at least between two rebuilds while submissions wait to be graded
SPACING = 10  # times the last rebuild's cost, at least, from its start to the next one's
LOW_PRIORITY = 10  # the rebuilding process's nice value


class ClassFiles:
    """Rebuilds the class files from the records, in the background, when told they changed."""

    def __init__(
        self,
        out_dir: Path,
        info: RunInfo,
        checks: tuple[CheckSpec, ...],
        roster: CanvasRoster | None,
        every: float,
    ) -> None:
        self.out_dir = out_dir
        self.info = info
        self.checks = checks
        self.roster = roster
        self.every = every
        self.students: set[str] = set(info.students or ())
        self._dirty = False
        self._started = float("-inf")
        self._cost = 0.0  # seconds the last rebuild took
        self._running: Future[float] | None = None
        self._process = _rebuilder()

    def changed(self, student: str) -> None:
        self.students.add(student)
        self._dirty = True

    def maybe_rebuild(self, waiting: int) -> Future[float] | None:
        """Start a rebuild if something changed, none is running, and the last one started
        long enough ago (see the module); the rebuild's future, to learn of its errors."""
        if self._running is not None and not self._running.done():
            return None
        if self._running is not None and self._running.exception() is None:
            self._cost = self._running.result()
        gap = max(RUSH_SECONDS if waiting else self.every, self._cost * SPACING)
        if not (self._dirty and time.monotonic() - self._started >= gap):
            return None
        self._running = self._submit()
        return self._running

    def close(self) -> None:
        """Finish a running rebuild, and rebuild once more if anything changed since."""
        try:
            if self._running is not None:
                self._running.exception()  # waits; its error was the service's to report
            if self._dirty:
                self._submit().result()
        finally:
            self._process.shutdown(wait=True)

    def _submit(self) -> Future[float]:
        self._dirty, self._started = False, time.monotonic()
        info = replace(self.info, students=tuple(sorted(self.students)))
        task = (rebuild, self.out_dir, info, self.checks, self.roster)
        try:
            return self._process.submit(*task)
        except BrokenProcessPool:  # the rebuilding process died (its error was reported)
            self._process.shutdown(wait=False)
            self._process = _rebuilder()
            return self._process.submit(*task)


def _rebuilder() -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(1, context, _start_rebuilder, (os.getpid(),))


def _start_rebuilder(service: int) -> None:
    """The rebuilding process: it dies with the service, leaves Ctrl-C to it, and yields the
    processor to the judge workers."""
    die_with(service)
    ignore_ctrl_c()
    os.setpriority(os.PRIO_PROCESS, 0, LOW_PRIORITY)


_stores: dict[Path, RecordStore] = {}  # the rebuilding process's, kept with the rows read


def rebuild(
    out_dir: Path, info: RunInfo, checks: tuple[CheckSpec, ...], roster: CanvasRoster | None
) -> float:
    """Write `run.json` and every class file from the records in `out_dir`; the seconds it
    took."""
    started = time.monotonic()
    store = _stores.setdefault(out_dir, RecordStore(out_dir))
    store.save_run(info)
    published = Published(
        out_dir,
        Path(info.course_root) if info.course_root else None,
        list(info.students or ()),
        None,
        checks,
        roster,
        info.moodle,
        info.lesson,
    )
    found = rows(store, published)
    for writer in CLASS_WRITERS:
        writer(store, published, found)
    return time.monotonic() - started
