"""Throughput of `python -m autograder grade` against `nbgrader autograde`, in one run.

Builds a throwaway nbgrader course from this repository's source notebook, fills it with
submissions written from the answer corpus (correct answers and common mistakes, cycled), and:
  1. grades the same small batch with nbgrader autograde and with the kit, checks that both give
     every student the same total, and prints seconds per submission and the ratio;
  2. grades 100 and 1,000 submissions with the kit and prints submissions per second and the
     peak resident memory of the largest grader process (which must not grow with the batch).

Usage: python benchmarks/throughput.py [--peer-batch 20] [--large-batch 1000]
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

from tests.answers import CORRECT, WRONG  # noqa: E402
from tests.notebooks import filled_release, write_submission  # noqa: E402

ASSIGNMENT = "gradient_descent"


def run(command: list[str], cwd: Path) -> float:
    """Run a command to completion; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - started


def peak_rss_of(command: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB of the largest process the command started)."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, *command], cwd=cwd, check=True, capture_output=True, text=True
    )
    seconds, kib = result.stdout.split()
    return float(seconds), int(kib) / 1024


def make_course(folder: Path, students: int) -> Path:
    course = folder / f"course-{students}"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source", course / "source")
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force"], course)
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    answers = CORRECT + WRONG
    for number in range(students):
        answer = answers[number % len(answers)]
        notebook = filled_release(answer.loss, answer.update, release)
        student = f"s{number:04d}-{answer.name}"
        write_submission(
            course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", notebook
        )
    return course


def kit(course: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(course / "submitted"),
        "--out",
        str(out),
        "--force",
    ]


def nbgrader_totals(course: Path) -> dict[str, float]:
    run([sys.executable, "-m", "nbgrader", "export", "--to", "grades-nbgrader.csv"], course)
    with (course / "grades-nbgrader.csv").open() as stream:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(stream)}


def kit_totals(out: Path) -> dict[str, float]:
    results = json.loads((out / "results.json").read_text())
    return {row["student"]: row["score"] for row in results["submissions"]}


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--peer-batch", type=int, default=20)
    options.add_argument("--large-batch", type=int, default=1000)
    arguments = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        folder = Path(scratch)
        course = make_course(folder, arguments.peer_batch)
        peer_seconds = run(
            [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], course
        )
        peer = nbgrader_totals(course)
        kit_seconds = run(kit(course, folder / "out-peer"), course)
        ours = kit_totals(folder / "out-peer")
        differing = sorted(s for s in peer if abs(peer[s] - ours.get(s, -1)) > 1e-6)
        n = arguments.peer_batch
        print(
            f"same batch of {n}: nbgrader autograde {peer_seconds / n:.3f} s/submission, "
            f"kit {kit_seconds / n:.4f} s/submission (whole command, start-up included)"
        )
        print(f"throughput ratio kit / nbgrader: {peer_seconds / kit_seconds:.1f}x")
        print(f"students whose totals differ: {len(differing)} {differing[:5]}")
        for size in (100, arguments.large_batch):
            big = make_course(folder, size) if size != n else course
            seconds, peak = peak_rss_of(kit(big, folder / f"out-{size}"), big)
            print(
                f"kit, {size} submissions: {seconds:.1f} s wall, {size / seconds:.1f} "
                f"submissions/s, peak RSS of the largest grader process {peak:.0f} MiB"
            )


if __name__ == "__main__":
    main()
