"""The service's loop: what has arrived and is not yet recorded is graded, oldest first.

What waits is worked out from disk — each student's latest submission in the exchange against
the time their record says was graded — when the service starts, and then for each folder new
in the inbound; never from a queue kept in memory alone, so a service killed at any moment
(SIGKILL included) and started again grades every submission whose record it had not yet
stored, and none twice; a row the grader failed on is tried again at the next start. A
record is stored last, after the student's gradebook row, notebook and released page, so a
stored record means a delivered page. A student's newer submission waits until the one
being graded is recorded, and then replaces it: their latest wins. Ctrl-C or SIGTERM stops
the loop between two steps; the judge workers are ended, and whatever they were grading is
graded again on the next start.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.batch.grading import worker_died
from autograder.batch.store import RecordStore
from autograder.batch.worker import Job, stamped
from autograder.feedback.paths import feedback_path
from autograder.intake.course_tree import SECRET
from autograder.intake.handed_in import read_small
from autograder.intake.submissions import Submission
from autograder.intake.times import naive_utc
from autograder.judge.fault import GraderFault
from autograder.judge.record import Record, RecordError, max_score
from autograder.judge.status import grader_error, unscored
from autograder.service.class_files import ClassFiles
from autograder.service.collecting import collect_arrival
from autograder.service.delivery import Delivery
from autograder.service.exchange import Arrival, ExchangePlace, Inbound
from autograder.service.health import HealthFile, now_text
from autograder.service.pool import Judges, WorkerDied
from autograder.text import one_line

MAX_CHUNK = 8  # submissions a worker takes at once in a rush: latency stays a few seconds


@dataclass(frozen=True)
class ServeSettings:
    course_root: Path
    out_dir: Path
    place: ExchangePlace
    poll: float  # seconds between two looks at the exchange


@dataclass
class _Chunk:
    jobs: list[Job]
    arrivals: list[Arrival]
    started: float  # time.monotonic() when it was handed to the workers


class Service:
    """One course's grading service; `run` returns when it is told to stop."""

    def __init__(
        self,
        settings: ServeSettings,
        store: RecordStore,
        pool: Judges,
        class_files: ClassFiles,
        health: HealthFile,
        log: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.pool = pool
        self.class_files = class_files
        self.log = log
        self.delivery = Delivery(settings.course_root, settings.out_dir, settings.place)
        self.health = health
        self.inbound = Inbound(settings.place)
        self.recorded: dict[str, datetime | None] = {}  # when each one's record was submitted
        self.pending: dict[str, Arrival] = {}  # each student's latest arrival not yet recorded
        self.running: dict[Future[list[Record]], _Chunk] = {}
        self.deaths: dict[tuple[str, datetime], int] = {}  # workers each submission has broken
        self.rebuilding: Future[float] | None = None
        self.stopping = False
        self.graded = 0

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> None:
        """Serve until `stop`, then end the workers and bring the class files up to date."""
        previous = {
            number: signal.signal(number, self.stop) for number in (signal.SIGINT, signal.SIGTERM)
        }
        self.health.update(state="serving")
        try:
            while not self.stopping:
                self._finish(self.settings.poll)
                if self.stopping:
                    break
                waiting = self._waiting()
                self._dispatch(waiting)
                self.health.update(queue=len(waiting), grading=self._grading())
                self._rebuild(len(waiting))
        finally:
            self.pool.close()
            self.delivery.close()
            self.class_files.close()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def _grading(self) -> int:
        return sum(len(chunk.jobs) for chunk in self.running.values())

    def _waiting(self) -> list[Arrival]:
        """Each student's latest arrival that their record does not yet hold, oldest first:
        those the inbound reported before and still wait, and what it reports new."""
        for arrival in self.inbound.news():
            self.pending[arrival.student] = arrival
        self.pending = {s: arrival for s, arrival in self.pending.items() if self._new(arrival)}
        return sorted(self.pending.values(), key=lambda arrival: (arrival.moment, arrival.student))

    def _new(self, arrival: Arrival) -> bool:
        """Whether the student's record does not yet hold `arrival`."""
        if arrival.student not in self.recorded:
            self.recorded[arrival.student] = self._recorded_time(arrival.student)
        graded = self.recorded[arrival.student]
        return graded is None or arrival.moment > graded

    def _recorded_time(self, student: str) -> datetime | None:
        """When the submission in the student's record was made, from the record's small
        row (a record is about 200 KB: a restart over thousands reads only their rows); None
        for a row the grader failed on, which is no verdict, so each start tries it again."""
        if not self.store.has(student):
            return None
        try:
            row = self.store.row(student)
        except RecordError:
            return None
        return _utc(row.submitted_at) if row.is_verdict else None

    def _dispatch(self, waiting: list[Arrival]) -> None:
        """Hand the oldest waiting arrivals to free workers. One that broke a worker before
        is graded alone, with nothing else running, so that a second death is its own."""
        busy = {arrival.student for chunk in self.running.values() for arrival in chunk.arrivals}
        ready = [arrival for arrival in waiting if arrival.student not in busy]
        if not ready or any(self._suspect(chunk) for chunk in self.running.values()):
            return
        due = self.delivery.due_date()
        workers = self.pool.workers
        suspects = [arrival for arrival in ready if arrival.key in self.deaths]
        if suspects:
            if not self.running:
                self._start([suspects[0]], due)
            return
        while ready and len(self.running) < workers:
            size = max(1, min(MAX_CHUNK, len(ready) // (2 * workers)))
            chunk, ready = ready[:size], ready[size:]
            self._start(chunk, due)

    def _suspect(self, chunk: _Chunk) -> bool:
        return any(arrival.key in self.deaths for arrival in chunk.arrivals)

    def _start(self, arrivals: list[Arrival], due: datetime | None) -> None:
        """Collect `arrivals` and hand them to a worker as one chunk; one that cannot be
        collected, or that killed a worker twice, gets its grader error row instead."""
        jobs, taken = [], []
        for arrival in arrivals:
            try:
                job = self._job(arrival, due)
            except OSError as error:
                self._failed(arrival, error)
                continue
            if self.deaths.get(arrival.key, 0) >= 2:
                deaths = self.deaths[arrival.key]
                died = worker_died(job, self.pool.setup, self.pool.facts, deaths)
                self._complete(job, arrival, died, time.monotonic())
                continue
            jobs.append(job)
            taken.append(arrival)
        if jobs:
            self.running[self.pool.grade(jobs)] = _Chunk(jobs, taken, time.monotonic())

    def _failed(self, arrival: Arrival, error: OSError) -> None:
        """The grader error row of a submission that could not be copied into `submitted/`."""
        why = f"it could not be copied into submitted/ ({error.strerror or error})"
        submission = Submission(arrival.student, None, why, submitted_at=arrival.submitted_at)
        job = Job(submission, submission.content_hash())
        most = max_score(self.pool.facts.checks) if self.pool.facts else 0.0
        failed = grader_error(unscored(arrival.student, most), "collecting the submission", error)
        page = feedback_path(arrival.student, self.settings.out_dir, self.settings.course_root)
        secret = read_small(arrival.folder / SECRET)  # so that their fetch_feedback finds it
        if secret:
            write_atomically(page.parent / SECRET, secret, durable=False)
        record = stamped(failed, job, self.pool.setup.grader_hash)
        self.health.error(f"{record.student}: {record.message}")
        self._complete(job, arrival, record, time.monotonic())

    def _job(self, arrival: Arrival, due: datetime | None) -> Job:
        """Collect the arrival into `submitted/` and make its job; the student's earlier page
        goes, as it is about their earlier submission."""
        course = self.settings.course_root
        feedback_path(arrival.student, self.settings.out_dir, course).unlink(missing_ok=True)
        submission = collect_arrival(course, arrival)
        late = due is not None and arrival.moment.replace(tzinfo=None) > due
        submission = replace(submission, late=late)
        regraded = (
            "a newer submission replaced the one graded before"
            if (self.recorded.get(arrival.student) is not None)
            else ""
        )
        return Job(submission, submission.content_hash(), regraded)

    def _finish(self, timeout: float) -> None:
        """Deliver and record every chunk that finished within `timeout` seconds."""
        if not self.running:
            time.sleep(timeout)
            return
        done, _ = wait(self.running, timeout=timeout, return_when=FIRST_COMPLETED)
        broken = False
        for future in done:
            chunk = self.running.pop(future)
            try:
                records = future.result()
            except BrokenProcessPool as died:
                broken = True
                alone = len(chunk.arrivals) == 1 and isinstance(died, WorkerDied)
                for arrival in chunk.arrivals:  # each one a suspect; one alone, the culprit
                    times = died.deaths if alone else 1
                    self.deaths[arrival.key] = self.deaths.get(arrival.key, 0) + times
                continue
            except GraderFault as fault:
                self.health.error(str(fault))
                raise
            for job, arrival, record in zip(chunk.jobs, chunk.arrivals, records, strict=True):
                self._complete(job, arrival, record, chunk.started)
        if broken and self.pool.one_death_ends_all:
            self._after_a_worker_died()
        elif broken:
            self.health.error("a worker died; its chunk's submissions are graded again one by one")

    def _after_a_worker_died(self) -> None:
        """Every chunk still running went down with the pool: all are suspects now."""
        for future, chunk in list(self.running.items()):
            future.cancel()
            for arrival in chunk.arrivals:
                self.deaths[arrival.key] = self.deaths.get(arrival.key, 0) + 1
        self.running.clear()
        self.health.error("a judge worker died; its submissions are graded again one by one")
        self.pool.restart()

    def _complete(self, job: Job, arrival: Arrival, record: Record, started: float) -> None:
        """Deliver one record's outputs, then store it; a failure to deliver is its grader
        error, stored all the same, so that the service goes on."""
        lesson = self.pool.setup.lesson
        assert lesson is not None
        try:
            delivered = self.delivery.deliver(record, job.submission, lesson)
        except Exception as error:
            record = grader_error(record, "writing the student's outputs", error)
            self.health.error(f"{record.student}: {record.message}")
            delivered = None
        self.store.write(record)
        self.recorded[record.student] = _utc(record.submitted_at)
        self.deaths.pop(arrival.key, None)
        self.class_files.changed(record.student)
        self.graded += 1
        self.health.update(graded=self.graded, last_graded_at=now_text())
        released = delivered is not None and delivered.released is not None
        self._log(record, arrival, released, time.monotonic() - started)

    def _log(self, record: Record, arrival: Arrival, released: bool, handled: float) -> None:
        """student: score status [late]; how long they waited, and how much of it was the
        service's own (grading and delivering) rather than waiting for a worker."""
        seconds = (datetime.now(UTC) - arrival.moment).total_seconds()
        where = "released" if released else "NOT released (no submission secret)"
        late = " late" if record.late else ""
        self.log(
            f"{one_line(record.student)}: {record.score:g}/{record.max_score:g} "
            f"{record.status}{late}; feedback {where} {seconds:.2f} s after submission "
            f"(graded and delivered in {handled:.2f} s)"
        )

    def _rebuild(self, waiting: int) -> None:
        """Start a rebuild of the class files when due; report the last one's error."""
        if self.rebuilding is not None and self.rebuilding.done():
            error = self.rebuilding.exception()
            if error is not None:
                self.health.error(f"rebuilding the class files: {type(error).__name__}: {error}")
            self.rebuilding = None
        self.rebuilding = self.class_files.maybe_rebuild(waiting) or self.rebuilding


def print_line(line: str) -> None:
    """The log: one line per graded submission, on standard output as soon as it is known."""
    print(line, flush=True)


def _utc(moment: str | None) -> datetime | None:
    """A record's submission time, in UTC, to compare with an arrival's."""
    naive = naive_utc(moment)
    return naive.replace(tzinfo=UTC) if naive else None
