"""The instructor's self-test: does grading still mean what it says after an edit?

`python -m autograder selftest` first runs the source notebook top to bottom in a Jupyter
kernel, as `nbgrader validate` does, and says which cells fail for the reference (a quick test
whose expectation no longer fits an edited lesson, say). Then it grades, through the real
sandbox and the whole batch pipeline, on the lesson read from the release: the source notebook
(the reference: full marks, no mistake named), the untouched release (nothing), and every
answer in the catalogue (`catalogue.catalogue`, written against that lesson) filled into the
release. It prints a matrix of answer × category, showing the points each answer lost, and
compares every row with what the catalogue expects: the categories lost, the status, the
mistake named first and a phrase of its messages. Any surprise makes the command exit non-zero.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.batch.catalogue import GRADED, Answer, catalogue, reference_cells
from autograder.batch.grading import SandboxSettings, grade_all, grader_hash
from autograder.batch.store import RecordStore
from autograder.batch.worker import GradingSetup
from autograder.exercise import CATEGORIES
from autograder.intake.submissions import Submission
from autograder.judge.record import Record
from autograder.judge.reference import reference_for
from autograder.judge.seeds import new_seed
from autograder.lesson import Lesson
from autograder.sandbox import Limits

REFERENCE = "reference"
RELEASE = "release_untouched"


@dataclass(frozen=True)
class Expected:
    loses: frozenset[str]
    mistake: str | None
    may_lose: frozenset[str] = frozenset()
    status: str = GRADED
    says: str = ""

    @classmethod
    def of(cls, answer: Answer) -> Expected:
        return cls(answer.loses, answer.mistake, answer.may_lose, answer.status, answer.says)


@dataclass(frozen=True)
class Row:
    """One graded answer against what it should have got."""

    name: str
    record: Record
    expected: Expected

    def lost(self, category: str) -> float:
        return sum(c.max_points - c.points for c in self.record.checks if c.category == category)

    @property
    def named(self) -> str | None:
        return self.record.mistakes[0][1].key if self.record.mistakes else None

    @property
    def surprises(self) -> list[str]:
        found = []
        expected = self.expected
        lost = {category for category in CATEGORIES if self.lost(category) > 0}
        if lost - expected.may_lose != expected.loses:
            found.append(f"lost {sorted(lost)}, expected {sorted(expected.loses)}")
        if self.named != expected.mistake and (expected.mistake or self.named):
            found.append(f"named {self.named}, expected {expected.mistake}")
        if self.record.status != expected.status:
            found.append(f"{self.record.status}: {self.record.message}")
        messages = " | ".join(check.message for check in self.record.checks if not check.passed)
        if expected.says not in messages:
            found.append(f"no message says {expected.says!r}")
        return found


def run_selftest(
    source: Path, release: Path, lesson: Lesson, workers: int, advance: Callable[[int], None]
) -> list[Row]:
    """Grade the reference, the release and the catalogue on `lesson`; one row each, in
    that order."""
    reference = reference_cells(source)
    answers = catalogue(reference_for(lesson))
    expected = {
        REFERENCE: Expected(frozenset(), None),
        RELEASE: Expected(frozenset(CATEGORIES), "not_implemented"),
        **{answer.name: Expected.of(answer) for answer in answers},
    }
    with tempfile.TemporaryDirectory(prefix="selftest-") as scratch:
        folder = Path(scratch)
        notebooks = {REFERENCE: source, RELEASE: release}
        for answer in answers:
            notebooks[answer.name] = _written(folder / "class", answer, release, reference)
        submissions = [Submission(name, path) for name, path in notebooks.items()]
        store = RecordStore(folder / "out")
        setup = GradingSetup(
            release=release, seed=new_seed(), grader_hash=grader_hash(release), lesson=lesson
        )
        sandbox = SandboxSettings.for_release(Limits.for_wall_clock(20.0), (folder,), release)
        grade_all(submissions, store, setup, sandbox, workers, force=True, advance=advance)
        return [Row(name, store.read(name), expected[name]) for name in notebooks]


def _written(folder: Path, answer: Answer, release: Path, reference: tuple[str, str]) -> Path:
    path = folder / f"{answer.name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(answer.notebook(release, reference), path)
    return path


def matrix(rows: list[Row]) -> str:
    """The answers down, the categories across: points lost, or ✓ where none were; a `!`
    marks every row that is not what the catalogue expects."""
    width = max(len(row.name) for row in rows)
    header = f"{'answer':<{width}}  " + "  ".join(f"{c:>11}" for c in CATEGORIES)
    lines = [f"{header}  {'score':>5}  mistake named", "-" * (len(header) + 40)]
    for row in rows:
        cells = "  ".join(
            f"{'✓' if not row.lost(c) else f'−{row.lost(c):g}':>11}" for c in CATEGORIES
        )
        flag = "  ! " + "; ".join(row.surprises) if row.surprises else ""
        lines.append(
            f"{row.name:<{width}}  {cells}  {row.record.score:>5g}  {row.named or '—'}{flag}"
        )
    surprising = sum(1 for row in rows if row.surprises)
    lines.append(
        f"{len(rows)} answers graded: "
        + (f"{surprising} not as expected" if surprising else "every one as expected")
    )
    return "\n".join(lines)
