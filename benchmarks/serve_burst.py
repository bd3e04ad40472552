"""A deadline rush on `python -m autograder serve`: how long each student waits for feedback.

Builds a throwaway nbgrader course with a real exchange, starts the service on it as a
subprocess and waits until its judge workers are warm, then has N students submit within one
minute (evenly spread, each through nbgrader's own `ExchangeSubmit`, the code `nbgrader submit`
runs; every correct style and typical mistake of the test corpus, cycled). A watcher looks for
each student's page where their `nbgrader fetch_feedback` looks for it (named from the secret
their submission carries) and notes when it appears; the wait is counted from the time in the
submission's own name, the time nbgrader gives it. Prints the median, 95th percentile and
maximum wait, and checks that every submission got exactly one record.

`--on-record N` first puts N earlier students on record, as a class that has been submitting
for a while: each with a submission in the inbound, a record of it, its row in nbgrader's
gradebook and a place in the class files. What one more submission waits for should not grow
with N.

Usage: python benchmarks/serve_burst.py [--students 300] [--over 60] [--workers N]
       [--on-record 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.batch.store import RecordStore, RunInfo  # noqa: E402
from autograder.judge.record import CheckResult, Record, Status  # noqa: E402
from autograder.outputs.gradebook import record_scores  # noqa: E402
from autograder.outputs.gradebook_stamp import GradebookStamp  # noqa: E402
from autograder.service.exchange import parse_name  # noqa: E402
from tests.corpus.answers import CORRECT, WRONG  # noqa: E402
from tests.support.course import ASSIGNMENT, NOTEBOOK, copy_course, generate_release  # noqa: E402
from tests.support.exchange import (  # noqa: E402
    COURSE_ID,
    health,
    released_with_exchange,
    service,
    submit_in_process,
    wait_for,
)
from tests.support.notebooks import notebook_for  # noqa: E402


class Watcher(threading.Thread):
    """Notes when each submission's page becomes fetchable in the exchange."""

    def __init__(self, exchange: Path) -> None:
        super().__init__(daemon=True)
        self.inbound = exchange / COURSE_ID / "inbound"
        self.feedback = exchange / COURSE_ID / "feedback"
        self.waiting: dict[Path, tuple[str, float]] = {}  # page → (folder, submitted at)
        self.waits: dict[str, float] = {}  # inbound folder → seconds to fetchable feedback
        self.lock = threading.Lock()
        self.done = threading.Event()

    def expect(self, folder: Path) -> None:
        from nbgrader.utils import notebook_hash

        secret = (folder / "submission_secret.txt").read_text()
        page = self.feedback / f"{notebook_hash(secret=secret, notebook_id=ASSIGNMENT)}.html"
        _, moment = parse_name(folder.name)
        with self.lock:
            self.waiting[page] = (folder.name, datetime.fromisoformat(moment).timestamp())

    def run(self) -> None:
        while not self.done.is_set():
            with self.lock:
                for page, (name, submitted) in list(self.waiting.items()):
                    if page.exists():
                        self.waits[name] = time.time() - submitted
                        del self.waiting[page]
            time.sleep(0.02)


def put_on_record(rush: Path, course: Path, notebook: dict, count: int) -> None:
    """`count` earlier students, each with a submission in the inbound (a copy of one made by
    nbgrader's `ExchangeSubmit`, under the student's own name and time), a full-marks record
    of it, their gradebook row and their place in `run.json`'s class."""
    inbound = rush / "exchange" / COURSE_ID / "inbound"
    submit_in_process(rush, "earlier", notebook)
    [model] = inbound.glob("earlier+*")
    _, assignment, moment, *rest = model.name.split("+")
    checks = tuple(
        CheckResult(f"{category}.all", category, 3.0, 3.0, True, "")
        for category in ("loss", "update", "zero_grad", "convergence")
    )
    store = RecordStore(course / "grading")
    records = []
    for number in range(count):
        student = f"earlier{number:05d}"
        shutil.copytree(model, inbound / "+".join([student, assignment, moment, *rest]))
        _, iso = parse_name(model.name)
        record = Record(student, Status.GRADED, 12.0, "", checks, submitted_at=iso)
        store.write(record)
        records.append(record)
    shutil.rmtree(model)
    record_scores(course, records, GradebookStamp.of(course, store.out_dir))
    students = tuple(record.student for record in records)
    store.save_run(RunInfo(0, str(course), students=students))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=300)
    options.add_argument("--over", type=float, default=60.0, help="seconds the rush lasts")
    options.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    options.add_argument("--on-record", type=int, default=0, help="students graded before")
    arguments = options.parse_args()

    with tempfile.TemporaryDirectory(prefix="serve-burst-") as scratch:
        root = Path(scratch)
        print("building the course and its exchange ...", flush=True)
        released = copy_course(root / "released" / "course")
        generate_release(released)
        course = released_with_exchange(released, root / "rush")
        rush = root / "rush"
        release = course / "release" / ASSIGNMENT / NOTEBOOK
        answers = CORRECT + WRONG
        notebooks = [notebook_for(answer, release) for answer in answers]
        if arguments.on_record:
            print(f"putting {arguments.on_record} earlier students on record ...", flush=True)
            put_on_record(rush, course, notebooks[0], arguments.on_record)
        print(f"starting the service with {arguments.workers} workers ...", flush=True)
        with service(course, rush, arguments.workers) as served:
            watcher = Watcher(rush / "exchange")
            watcher.start()
            inbound = rush / "exchange" / COURSE_ID / "inbound"
            started = time.monotonic()
            for number in range(arguments.students):
                due = started + number * arguments.over / arguments.students
                time.sleep(max(0.0, due - time.monotonic()))
                student = f"student{number:04d}"
                submit_in_process(rush, student, notebooks[number % len(notebooks)])
                [folder] = inbound.glob(f"{student}+*")
                watcher.expect(folder)
            submitting = time.monotonic() - started
            wait_for(lambda: len(watcher.waits) == arguments.students, 900, 0.2)
            watcher.done.set()
            last_error = health(course / "grading").get("last_error")
            assert served.stop() == 0, served.log()
        lines = served.graded_lines()
        records = list((course / "grading" / "records").glob("*.json"))
        statuses = sorted({json.loads(path.read_text())["status"] for path in records})
    waits = list(watcher.waits.values())
    print(
        f"{arguments.students} submissions in {submitting:.1f} s, {arguments.workers} workers, "
        f"{arguments.on_record} students on record before: "
        f"submission to fetchable feedback, median {statistics.median(waits):.2f} s, "
        f"95th percentile {percentile(waits, 0.95):.2f} s, maximum {max(waits):.2f} s"
    )
    print(
        f"records: {len(records)}, graded lines in the log: {len(lines)}, statuses: "
        f"{', '.join(statuses)}, last error: {last_error}"
    )
    graded_once = len(lines) == arguments.students
    return 0 if graded_once and len(records) == arguments.students + arguments.on_record else 1


if __name__ == "__main__":
    sys.exit(main())
