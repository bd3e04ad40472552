"""Gradescope's `run_autograder`: grade the one submission in `<root>/submission/` with the
kit's sandbox and hidden checks, and write `<root>/results/results.json` whatever happens.

Gradescope lays out `<root>` (`/autograder`) as `source/` (the bundle: this kit, its release
notebook, the lesson read from that release when the bundle was built, and the bundle's
settings), `submission/` and `results/`. `GRADESCOPE_ROOT` moves
it, so that the bundle can be run in any folder laid out the same way. The judge and the
feedback's plotting are imported inside the guard, so that even a grader that cannot load
them writes results that say so.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograder.atomic import write_atomically
from autograder.exercise import release_notebook
from autograder.intake.submissions import submission_in
from autograder.judge.record import Record, Status
from autograder.judge.seeds import new_seed
from autograder.lesson import Lesson
from autograder.loaded import leave
from autograder.outputs.gradescope import grader_failed, gradescope_results
from autograder.sandbox import Limits

ROOT_VARIABLE = "GRADESCOPE_ROOT"
DEFAULT_ROOT = "/autograder"
SETTINGS_FILE = "gradescope.json"  # in source/: the bundle's settings
LESSON_FILE = "lesson.json"  # in source/: the lesson, as read from the bundle's release
STUDENT = "submission"  # the record's student id: Gradescope grades one submission at a time


@dataclass(frozen=True)
class Layout:
    """Where Gradescope puts the bundle, the submission and the results."""

    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"


def gradescope_layout() -> Layout:
    """The one place that reads where the root is."""
    return Layout(Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT))


@dataclass(frozen=True)
class BundleSettings:
    """What the bundle was built with. Without a seed, each submission is asked new hidden
    questions (as each `check` is), so inputs a student's code printed or raised in one
    submission are no use in the next; the seed each used is in Gradescope's log, and a bundle
    built with it regrades exactly."""

    seed: int | None  # of the hidden inputs; None: a new one for each submission
    timeout: float  # seconds each submission's code may run

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def read(cls, path: Path) -> BundleSettings:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path} must hold a JSON object")
        seed, timeout = raw.get("seed"), raw.get("timeout")
        if isinstance(seed, bool) or not isinstance(seed, (int, type(None))):
            raise ValueError(f"{path}: the seed must be a whole number or null")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise ValueError(f"{path}: the timeout must be a number of seconds")
        try:
            Limits.for_wall_clock(timeout)
        except ValueError as error:
            raise ValueError(f"{path}: the timeout {error}") from None
        return cls(seed, float(timeout))


def bundled_lesson(source: Path, release: Path) -> Lesson:
    """The lesson the bundle carries, refused unless it was read from the bundle's release."""
    lesson = Lesson.from_json(json.loads((source / LESSON_FILE).read_text(encoding="utf-8")))
    if lesson.release_hash != hashlib.sha256(release.read_bytes()).hexdigest():
        raise ValueError(f"{LESSON_FILE} was read from another release than the bundle's")
    return lesson


def grade(layout: Layout) -> tuple[Record, Lesson]:
    """The record of the submission, graded as `check` grades a notebook."""
    from autograder.judge.one_notebook import check_submission

    settings = BundleSettings.read(layout.source / SETTINGS_FILE)
    release = release_notebook(layout.source)
    lesson = bundled_lesson(layout.source, release)
    submission = submission_in(layout.submission, STUDENT)
    limits = Limits.for_wall_clock(settings.timeout)
    seed = new_seed() if settings.seed is None else settings.seed
    print(f"seed of the hidden inputs: {seed}", file=sys.stderr)
    return check_submission(submission, limits, release, seed, [layout.root], lesson)


def feedback_html(record: Record, lesson: Lesson) -> str:
    """The record's feedback page, without its list of checks (Gradescope lists them)."""
    from autograder.feedback.pages import feedback_sections
    from autograder.feedback.plots import Plotter
    from autograder.judge.reference import reference_for

    reference = reference_for(lesson)
    return feedback_sections(record, reference, Plotter(reference), checks=False)


def main() -> int:
    """Grade, write results.json, and exit 1 when the grader (not the student) failed."""
    started = time.monotonic()
    layout = gradescope_layout()
    try:
        record, lesson = grade(layout)
        page = feedback_html(record, lesson)
        document = gradescope_results(record, time.monotonic() - started, page)
        content = json.dumps(document, indent=1, allow_nan=False)
        failed = record.status == Status.GRADER_ERROR
        if failed:
            print(f"grader error: {record.message}", file=sys.stderr)
    except Exception:
        traceback.print_exc()
        content, failed = json.dumps(grader_failed(time.monotonic() - started), indent=1), True
    write_atomically(layout.results, content)
    return 1 if failed else 0


if __name__ == "__main__":
    leave(main())  # results.json written, the sandbox closed
