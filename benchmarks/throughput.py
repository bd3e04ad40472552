"""Throughput of `python -m autograder grade` against `nbgrader autograde`, in one run.

Builds a throwaway nbgrader course from this repository's source notebook and fills
`submitted/` with 1,000 students whose notebooks are written from the answer corpus
(correct answers in several styles and common mistakes, cycled). Then, in one run:
  1. nbgrader autograde grades the first 20 students of that batch (nbgrader
     costs the same for every notebook, so a sample gives its rate without taking an hour);
  2. the kit grades the whole batch; both must give every sampled student the same total;
  3. the kit grades the first 100 students alone, to show its peak memory does not grow with
     the batch.
It prints seconds per submission, submissions per second, the ratio of the two throughputs
and the peak resident memory of the largest grader process.

Usage: python benchmarks/throughput.py [--students 1000]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.answers import CORRECT, WRONG  # noqa: E402
from tests.support.notebooks import filled_release  # noqa: E402

ASSIGNMENT = "gradient_descent"
PEER_SAMPLE = 20  # students s0000 to s0019, the glob s00[01]? that nbgrader's --student takes
PROBE = (
    "import resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - started,"
    " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measured(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB of the largest process the command started)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *command],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, kib = result.stdout.split()
    return float(seconds), int(kib) / 1024


def nbgrader(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *arguments]


def make_course(folder: Path, students: int) -> Path:
    course = folder / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source")
    subprocess.run(
        nbgrader("generate_assignment", ASSIGNMENT, "--force"),
        cwd=course,
        check=True,
        capture_output=True,
    )
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    answers = CORRECT + WRONG
    texts = [json.dumps(filled_release(a.loss, a.update, release)) for a in answers]
    for number in range(students):
        target = course / "submitted" / f"s{number:04d}" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(texts[number % len(texts)])
    return course


def first_students(course: Path, count: int, folder: Path) -> Path:
    """A folder of the first `count` students' notebooks, as `<student>.ipynb`."""
    folder.mkdir()
    for student in sorted((course / "submitted").iterdir())[:count]:
        (folder / f"{student.name}.ipynb").symlink_to(student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return folder


def kit(inputs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(inputs), "--out", str(out)]


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=1000)
    arguments = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch:
        folder = Path(scratch)
        course = make_course(folder, arguments.students)
        sample = [f"s{number:04d}" for number in range(PEER_SAMPLE)]
        started = time.perf_counter()
        subprocess.run(
            nbgrader("autograde", ASSIGNMENT, "--force", "--student=s00[01]?"),
            cwd=course,
            check=True,
            capture_output=True,
        )
        peer_seconds = time.perf_counter() - started
        subprocess.run(
            nbgrader("export", "--to", "peer.csv"),
            cwd=course,
            check=True,
            capture_output=True,
        )
        with (course / "peer.csv").open() as stream:
            peer = {
                row["student_id"]: float(row["score"])
                for row in csv.DictReader(stream)
                if row["student_id"] in sample
            }

        everyone = first_students(course, arguments.students, folder / "everyone")
        kit_seconds, kit_peak = measured(kit(everyone, folder / "out"), ROOT)
        results = json.loads((folder / "out" / "results.json").read_text())["submissions"]
        ours = {row["student"]: row["score"] for row in results}
        small = first_students(course, 100, folder / "first-100")
        small_seconds, small_peak = measured(kit(small, folder / "out-100"), ROOT)

    differing = sorted(s for s in sample if peer.get(s) != ours.get(s))
    peer_rate = len(sample) / peer_seconds
    kit_rate = arguments.students / kit_seconds
    print(
        f"nbgrader autograde: {len(sample)} submissions in {peer_seconds:.1f} s, "
        f"{1 / peer_rate:.2f} s per submission"
    )
    print(
        f"kit grade:          {arguments.students} submissions in {kit_seconds:.1f} s, "
        f"{kit_rate:.1f} submissions/s, peak RSS {kit_peak:.0f} MiB"
    )
    print(
        f"kit grade:          100 submissions in {small_seconds:.1f} s, "
        f"peak RSS {small_peak:.0f} MiB"
    )
    print(f"throughput ratio kit / nbgrader: {kit_rate / peer_rate:.0f}x")
    print(f"sampled students whose totals differ: {len(differing)} {differing[:5]}")


if __name__ == "__main__":
    main()
