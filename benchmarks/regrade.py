"""What a `grade` run costs when little or nothing changed, on an nbgrader course.

Builds a course of N graded students (the class of `throughput.py`), grades it once, then
times, in the same run: `grade` again with nothing changed, and `grade` again after one
student's notebook changed. Both should cost what changed, not what the class holds.

Usage: python benchmarks/regrade.py [--students 2000 [10000 ...]] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.throughput import ASSIGNMENT, grade, make_course  # noqa: E402
from tests.corpus.answers import WRONG  # noqa: E402
from tests.support.notebooks import notebook_for  # noqa: E402


def change_one(course: Path, student: str) -> None:
    """Give `student` another answer: a typical mistake instead of what they handed in."""
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.write_text(json.dumps(notebook_for(WRONG[-1], release)))


def line(label: str, students: int, run: dict[str, float]) -> str:
    return (
        f"{students} graded students, {label}: {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU, "
        f"peak memory {run['memory']:.0f} MiB"
    )


def measure(students: int, workers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="regrade-") as scratch:
        course, names = make_course(Path(scratch), students)
        submitted, out = course / "submitted", Path(scratch) / "out"
        print(line("first grade", students, grade(submitted, out, workers)), flush=True)
        print(line("nothing changed", students, grade(submitted, out, workers)), flush=True)
        change_one(course, names[students // 2])
        print(line("one notebook changed", students, grade(submitted, out, workers)), flush=True)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--students", type=int, nargs="+", default=[2000])
    options.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    arguments = options.parse_args()
    print(f"machine: {os.cpu_count()} cores; {arguments.workers} judge workers")
    for students in arguments.students:
        measure(students, arguments.workers)


if __name__ == "__main__":
    main()
