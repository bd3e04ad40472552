"""From the stored records to every file other people and tools read.

The outputs are an ordered list of writers; `grade` runs them after grading (its workers have
written the feedback pages already), and `feedback` runs them all, pages included, to rebuild
everything in the same places without running any student code. Each writer reads the records
it needs and returns the paths it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.batch.store import RecordStore
from autograder.exercise import release_notebook
from autograder.feedback.report import write_class_report
from autograder.intake.roster import CanvasRoster
from autograder.judge.record import CheckSpec, Record, RecordError, Status, max_score
from autograder.lesson import Lesson
from autograder.outputs.autograded import write_autograded_notebooks
from autograder.outputs.canvas import canvas_grades
from autograder.outputs.gradebook import record_scores
from autograder.outputs.moodle import moodle_csv
from autograder.outputs.tables import grades_csv, results_json


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

    def feedback_folder(self) -> Path:
        if self.course_root is not None:
            return self.course_root / "feedback"
        return self.out_dir / "feedback"


def rows(store: RecordStore, run: Published) -> list[Record]:
    """Each student's record without what their code produced; a damaged record file becomes
    a grader error row instead of stopping the outputs."""
    found = []
    for student in run.students:
        try:
            record = store.read(student)
        except RecordError as error:
            record = Record(
                student=student,
                status=Status.GRADER_ERROR,
                max_score=max_score(run.checks),
                message=f"the stored record is damaged ({error}): regrade with --force",
            )
        found.append(record.with_(observations=(), output=""))
    return found


def whole_records(store: RecordStore, students: list[str]) -> Iterator[Record]:
    """The full records, one at a time, of the students whose records can be read."""
    for student in students:
        try:
            yield store.read(student)
        except RecordError:
            continue


Writer = Callable[[RecordStore, Published], list[tuple[str, Path]]]


def write_results(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    found = rows(store, run)
    results, grades = run.out_dir / "results.json", run.out_dir / "grades.csv"
    write_atomically(results, results_json(found, max_score(run.checks)))
    write_atomically(grades, grades_csv(found, [check.id for check in run.checks]))
    return [("results", results), ("grades", grades)]


def write_gradebook(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    if run.course_root is None:
        return []
    record_scores(run.course_root, rows(store, run))
    return [("nbgrader gradebook", run.course_root / "gradebook.db")]


def write_autograded(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    """nbgrader's autograded notebooks, without which the formgrader shows no submission."""
    if run.course_root is None:
        return []
    release = release_notebook(run.course_root)
    write_autograded_notebooks(run.course_root, release, rows(store, run))
    return [("autograded notebooks", run.course_root / "autograded")]


def write_pages(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    from autograder.feedback.pages import FeedbackWriter  # torch and matplotlib: only here

    if run.lesson is None:
        raise ValueError("feedback pages need the lesson the records were graded against")
    writer = FeedbackWriter(run.lesson, run.out_dir, run.course_root)
    for record in whole_records(store, run.students):
        writer.write(record)
    return []


def write_report(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    report = write_class_report(
        whole_records(store, run.students), run.out_dir, run.seconds, run.course_root
    )
    return [("feedback pages", run.feedback_folder()), ("class report", report)] + [
        ("mistakes", run.out_dir / "mistakes.csv")
    ]


def write_canvas(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    if run.canvas is None:
        return []
    grades = canvas_grades(run.canvas, rows(store, run))
    canvas, unmatched = run.out_dir / "canvas.csv", run.out_dir / "canvas-unmatched.csv"
    write_atomically(canvas, grades.import_csv(max_score(run.checks)))
    write_atomically(unmatched, grades.unmatched_csv())
    lines = grades.summary_lines() or ["no unmatched Canvas students"]
    return [("Canvas gradebook import", canvas)] + [(line, unmatched) for line in lines]


def write_moodle(store: RecordStore, run: Published) -> list[tuple[str, Path]]:
    if not run.moodle:
        return []
    moodle = run.out_dir / "moodle.csv"
    written_at = datetime.now(UTC)
    write_atomically(moodle, moodle_csv(rows(store, run), max_score(run.checks), written_at))
    return [("Moodle grading worksheet", moodle)]


WRITERS: list[Writer] = [
    write_results,
    write_gradebook,
    write_autograded,
    write_pages,
    write_report,
    write_canvas,
    write_moodle,
]


def publish(store: RecordStore, run: Published, pages: bool) -> list[tuple[str, Path]]:
    """Run every writer in order (the pages only when `pages`); (label, path) of each output."""
    written = []
    for writer in WRITERS:
        if writer is write_pages and not pages:
            continue
        written += writer(store, run)
    return written
