"""From the stored records to every file other people and tools read.

The outputs are an ordered list of writers; `grade` runs them after grading (its workers have
written the feedback pages already), and `feedback` runs them all, pages included, to rebuild
everything in the same places without running any student code. Each writer reads the records
it needs and returns the paths it wrote.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.batch.store import RecordStore
from autograder.exercise import release_notebook
from autograder.feedback.report import write_class_report
from autograder.intake.roster import CanvasRoster
from autograder.intake.submissions import Submission
from autograder.judge.record import CheckSpec, Record, RecordError, Status, max_score
from autograder.lesson import Lesson
from autograder.outputs.autograded import write_autograded_notebooks
from autograder.outputs.canvas import canvas_grades
from autograder.outputs.feedback_release import write_release_files
from autograder.outputs.gradebook import record_scores
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.outputs.moodle import moodle_csv
from autograder.outputs.tables import grades_csv, lms_score, results_json
from autograder.text import listed, one_line


@dataclass(frozen=True)
class Published:
    """Where a run's outputs are, for the summary and the next run."""

    out_dir: Path
    course_root: Path | None
    students: list[str]
    seconds: float | None
    checks: tuple[CheckSpec, ...]  # the hidden checks the records were graded with
    canvas: CanvasRoster | None = None  # write Canvas's import file for this roster
    moodle: bool = False  # write Moodle's grading worksheet
    lesson: Lesson | None = None  # the lesson the records were graded against (for pages)
    # The course's submissions as this run collected them (None: collected again, for pages).
    submissions: tuple[Submission, ...] | None = None
    # Students whose own files are all as the last publish left them (`published_from`): the
    # writers of each student's files pass over them.
    settled: frozenset[str] = frozenset()

    def feedback_folder(self) -> Path:
        if self.course_root is not None:
            return self.course_root / "feedback"
        return self.out_dir / "feedback"


class WritersLoading:
    """What the writers need, loaded in a thread of its own while the workers grade rather
    than after them, when they leave a core idle (`grading.grade_all` decides): the row of
    every student not being graded (`RecordStore.row` keeps each row with the version of the
    record it was read from, so a row read here serves publishing while that record stays as
    it was) and, for a course, nbgrader's API (a second and 40-80 MB). Otherwise the writers
    read and import them when they run. `ready()` waits for the thread; leaving the `with`
    block stops it (between two rows) and waits for it."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, store: RecordStore, students: list[str], course_root: Path | None) -> None:
        """Load the rows of `students` (none of them being graded) from `store`, then
        nbgrader's API if there is a course."""
        self._thread = threading.Thread(
            target=self._load,
            args=(store, students, course_root),
            name="load-writers",
            daemon=True,
        )
        self._thread.start()

    def _load(self, store: RecordStore, students: list[str], course_root: Path | None) -> None:
        for student in students:
            if self._stopping.is_set():
                return
            # A row that cannot be read here is read again by the writer, which reports why.
            with contextlib.suppress(RecordError, OSError):
                store.row(student)
        if course_root is not None:
            importlib.import_module("nbgrader.api")

    def ready(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        """Read no further row (a run stopped with Ctrl-C publishes nothing)."""
        self._stopping.set()

    def __enter__(self) -> WritersLoading:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self.ready()


def kept(read: Callable[[str], Record], run: Published, student: str) -> Record:
    """A student's stored record, as `read` reads it; one that is missing, damaged, truncated
    or another student's is their grader error row, with why, so that every output still has
    them."""
    try:
        return read(student)
    except RecordError as error:
        return Record(
            student=student,
            status=Status.GRADER_ERROR,
            max_score=max_score(run.checks),
            message=(
                f"the stored record cannot be used ({error}); the next `grade` run grades it again"
            ),
        )


def rows(store: RecordStore, run: Published) -> list[Record]:
    """Each student's record (see `kept`) without what their code produced."""
    return [kept(store.row, run, student) for student in run.students]


def whole_records(store: RecordStore, run: Published) -> Iterator[Record]:
    """Each student's full record (see `kept`), one at a time: only pages need them."""
    for student in run.students:
        yield kept(store.read, run, student)


# A writer is given the store, the run, and every student's row (`rows`), read once for all
Writer = Callable[[RecordStore, Published, list[Record]], list[tuple[str, Path]]]


def write_results(
    store: RecordStore, run: Published, found: list[Record]
) -> list[tuple[str, Path]]:
    results, grades = run.out_dir / "results.json", run.out_dir / "grades.csv"
    write_atomically(results, results_json(found, max_score(run.checks)))
    write_atomically(grades, grades_csv(found, [check.id for check in run.checks]))
    return [("results", results), ("grades", grades)]


def write_gradebook(
    store: RecordStore, run: Published, found: list[Record]
) -> list[tuple[str, Path]]:
    if run.course_root is None:
        return []
    database = run.course_root / "gradebook.db"
    stamp = GradebookStamp.of(run.course_root, run.out_dir)
    refused = record_scores(run.course_root, found, stamp)
    refusal = "not in nbgrader's gradebook, which keeps only ids that are text"
    return [("nbgrader gradebook", database)] + [
        (f"{one_line(record.student)}: {refusal}", database) for record in refused
    ]


def write_autograded(
    store: RecordStore, run: Published, found: list[Record]
) -> list[tuple[str, Path]]:
    """nbgrader's autograded notebooks, without which the formgrader shows no submission."""
    if run.course_root is None:
        return []
    release = release_notebook(run.course_root)
    note = run.out_dir / "autograded-made-from.json"
    write_autograded_notebooks(
        run.course_root, release, found, run.submissions, note, store.record_file, run.settled
    )
    return [("autograded notebooks", run.course_root / "autograded")]


def write_pages(store: RecordStore, run: Published, found: list[Record]) -> list[tuple[str, Path]]:
    from autograder.feedback.pages import FeedbackWriter  # matplotlib: only here

    if run.lesson is None:
        raise ValueError("feedback pages need the lesson the records were graded against")
    writer = FeedbackWriter(run.lesson, run.out_dir, run.course_root)
    for record in whole_records(store, run):
        writer.write(record)
    return []


def write_release_feedback(
    store: RecordStore, run: Published, found: list[Record]
) -> list[tuple[str, Path]]:
    """What `nbgrader release_feedback` needs beside each page of a course."""
    if run.course_root is None:
        return []
    note = run.out_dir / "release-files-made-from.json"
    without = write_release_files(run.course_root, found, note, store.record_file, run.settled)
    if not without:
        return []
    line = (
        f"{len(without)} submissions came into submitted/ without nbgrader's "
        f"submission_secret.txt ({listed(record.student for record in without)}): "
        "release_feedback releases their pages, but fetch_feedback cannot find them; hand "
        "them over yourself, from"
    )
    return [(line, run.feedback_folder())]


def write_report(store: RecordStore, run: Published, found: list[Record]) -> list[tuple[str, Path]]:
    report = write_class_report(found, run.out_dir, run.seconds, run.course_root)
    return [("feedback pages", run.feedback_folder()), ("class report", report)] + [
        ("mistakes", run.out_dir / "mistakes.csv")
    ]


def write_canvas(store: RecordStore, run: Published, found: list[Record]) -> list[tuple[str, Path]]:
    if run.canvas is None:
        return []
    grades = canvas_grades(run.canvas, found)
    canvas, unmatched = run.out_dir / "canvas.csv", run.out_dir / "canvas-unmatched.csv"
    write_atomically(canvas, grades.import_csv(max_score(run.checks)))
    write_atomically(unmatched, grades.unmatched_csv())
    lines = grades.summary_lines() or ["no unmatched Canvas students"]
    return [("Canvas gradebook import", canvas)] + [(line, unmatched) for line in lines]


def write_moodle(store: RecordStore, run: Published, found: list[Record]) -> list[tuple[str, Path]]:
    if not run.moodle:
        return []
    moodle = run.out_dir / "moodle.csv"
    written_at = datetime.now(UTC)
    write_atomically(moodle, moodle_csv(found, max_score(run.checks), written_at))
    failed = [record.student for record in found if lms_score(record) is None]
    left_out = (
        [
            (
                f"{len(failed)} students the grader failed on are left out ({listed(failed)}), so "
                "Moodle keeps their grades",
                moodle,
            )
        ]
        if failed
        else []
    )
    return [("Moodle grading worksheet", moodle), *left_out]


WRITERS: list[Writer] = [
    write_results,
    write_gradebook,
    write_autograded,
    write_pages,
    write_release_feedback,
    write_report,
    write_canvas,
    write_moodle,
]


def publish(
    store: RecordStore, run: Published, found: list[Record], pages: bool
) -> list[tuple[str, Path]]:
    """Run every writer in order (the pages only when `pages`) on the class's rows `found`
    (`rows`); (label, path) of each output."""
    written = []
    for writer in WRITERS:
        if writer is write_pages and not pages:
            continue
        written += writer(store, run, found)
    return written
