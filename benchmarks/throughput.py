"""Throughput of `python -m autograder grade` against `nbgrader autograde`, in one run.

Builds a throwaway nbgrader course from this repository's source notebook and fills
`submitted/` with a realistic class: every correct style and every typical mistake of the
test corpus, cycled, plus a few submissions that run out of time and a few broken files. Then,
in one run:
  1. nbgrader autograde grades a sample of that class (it costs the same for every notebook,
     so a sample gives its rate without taking an hour);
  2. the kit grades the whole class, then its first 100 students alone; both must give every
     sampled student the total nbgrader gave;
  3. for each kit run it prints the wall time, submissions per second, the peak memory of the
     whole grader (the sum of every process's proportional set size, sampled), where each
     submission's time went, stage by stage (from the records), and how much of the
     machine's CPU sat idle.

Usage: python benchmarks/throughput.py [--students 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.judge.record import Timings  # noqa: E402
from benchmarks.descendants import adopt_orphans, children_cpu, reap_orphans  # noqa: E402
from tests.corpus.answers import CORRECT, WRONG  # noqa: E402
from tests.support.notebooks import notebook_for  # noqa: E402

ASSIGNMENT = "gradient_descent"
PEER_SAMPLE, PEER_GLOB = 20, "s00[01]?"  # students s0000 to s0019, as nbgrader's --student
RUNS_OUT_OF_TIME = {
    "loops_for_ever": "while True:\n    pass\n",
    "waits_for_input": "import time\ntime.sleep(3600)\n",
}
BROKEN = {"truncated_file": '{"cells": [{"cell_type": "code", "source": "def', "not_json": "x"}


def nbgrader(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *arguments]


def make_course(folder: Path, students: int) -> tuple[Path, list[str]]:
    """The course, and the students in grading order: the unusual ones spread evenly through
    the class, as they would be in a real one, and none among nbgrader's sample."""
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
    texts = [json.dumps(notebook_for(answer, release)) for answer in answers]
    unusual = {name: text for name, text in BROKEN.items()}
    for name, code in RUNS_OUT_OF_TIME.items():
        stalled = json.loads(json.dumps(notebook_for(CORRECT[0], release)))
        cell = {
            "cell_type": "code",
            "source": code,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "id": name.replace("_", "-"),
        }
        stalled["cells"].insert(3, cell)  # early, so it holds the whole notebook up
        unusual[name] = json.dumps(stalled)
    spread = students // (len(unusual) + 1)
    placed = {spread * (k + 1): item for k, item in enumerate(unusual.items())}
    names, regular = [], 0
    for number in range(students):
        if number in placed:
            name, text = placed[number]
            names.append(f"s{number:04d}-{name}")
        else:
            names.append(f"s{number:04d}")
            text, regular = texts[regular % len(texts)], regular + 1
        write(course, names[-1], text)
    return course, names


def write(course: Path, student: str, text: str) -> None:
    target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(text)


def first_students(course: Path, names: list[str], count: int, folder: Path) -> Path:
    """A folder of copies of the first `count` students' notebooks, as `<student>.ipynb`
    (copies: the kit follows no link a submission holds)."""
    folder.mkdir()
    for student in names[:count]:
        source = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        shutil.copyfile(source, folder / f"{student}.ipynb")
    return folder


class MemorySampler:
    """Peak of the summed proportional set size of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pending, found = [self.pid], []
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as children:
                        pending += [int(child) for child in children.read().split()]
            except OSError:
                continue
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            for pid in self._tree():
                try:
                    with open(f"/proc/{pid}/smaps_rollup") as rollup:
                        for line in rollup:
                            if line.startswith("Pss:"):
                                total += int(line.split()[1]) * 1024
                                break
                except OSError:
                    continue
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def machine_cpu() -> tuple[float, float]:
    """Seconds every core of the machine has spent busy, and idle, since it started
    (`/proc/stat`). Besides the grader's processes, the kernel's own threads work for a run
    (writing its files back to disk, taking each student's cgroups apart), and no process's
    CPU counts that."""
    with open("/proc/stat") as stat:
        user, nice, system, idle, iowait, irq, softirq = map(int, stat.readline().split()[1:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / tick, (idle + iowait) / tick


def grade(inputs: Path, out: Path, workers: int, *options: str) -> dict[str, float]:
    """Run the kit (with more `options`, if given); wall seconds, CPU seconds of the whole
    tree and of the whole machine, the share of the machine's CPU left idle, and peak
    memory."""
    command = [sys.executable, "-m", "autograder", "grade", str(inputs), "--out", str(out)]
    command += ["--workers", str(workers), *options]
    adopt_orphans()
    before = children_cpu()
    busy_before, idle_before = machine_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    sampler = MemorySampler(process.pid)
    if process.wait() not in (0,):
        raise SystemExit(f"the kit's grade command failed: {command}")
    wall = time.perf_counter() - started
    reap_orphans()
    busy_after, idle_after = machine_cpu()
    busy, idle = busy_after - busy_before, idle_after - idle_before
    return {
        "wall": wall,
        "cpu": children_cpu() - before,
        "machine_cpu": busy,
        "idle": idle / max(busy + idle, 1e-9),
        "memory": sampler.stop() / 2**20,
    }


def breakdown(out: Path) -> dict[str, float]:
    """Mean milliseconds per submission in each stage, from the records' timings."""
    totals = dict.fromkeys((f.name for f in fields(Timings)), 0.0)
    count = 0
    for path in (out / "records").glob("*.json"):
        timings = json.loads(path.read_text()).get("timings")
        if timings:
            count += 1
            for stage in totals:
                totals[stage] += timings.get(stage, 0.0)
    return {stage: 1000 * total / max(count, 1) for stage, total in totals.items()}


def report(label: str, students: int, run: dict[str, float], stages: dict[str, float]) -> None:
    rate = students / run["wall"]
    print(
        f"kit grade, {label}: {students} submissions in {run['wall']:.1f} s, "
        f"{rate:.1f} submissions/s, {1000 * run['cpu'] / students:.0f} ms CPU each "
        f"({1000 * run['machine_cpu'] / students:.0f} ms of the machine's), "
        f"peak memory of the whole grader {run['memory']:.0f} MiB, "
        f"the machine's CPU idle {run['idle']:.0%}"
    )
    shown = ", ".join(f"{stage} {milliseconds:.1f}" for stage, milliseconds in stages.items())
    print(f"  per submission, ms of the clock in each stage: {shown}")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=1000)
    options.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    arguments = options.parse_args()
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch:
        folder = Path(scratch)
        course, names = make_course(folder, arguments.students)
        sample = names[:PEER_SAMPLE]
        started = time.perf_counter()
        subprocess.run(
            nbgrader("autograde", ASSIGNMENT, "--force", f"--student={PEER_GLOB}"),
            cwd=course,
            check=True,
            capture_output=True,
        )
        peer_seconds = time.perf_counter() - started
        subprocess.run(
            nbgrader("export", "--to", "peer.csv"), cwd=course, check=True, capture_output=True
        )
        with (course / "peer.csv").open() as stream:
            peer = {
                row["student_id"]: float(row["score"])
                for row in csv.DictReader(stream)
                if row["student_id"] in sample
            }

        runs = {}
        for label, count in (("whole class", arguments.students), ("first 100", 100)):
            inputs = first_students(course, names, count, folder / f"in-{count}")
            out = folder / f"out-{count}"
            runs[label] = (count, grade(inputs, out, arguments.workers), breakdown(out))
            if label == "whole class":
                rows = json.loads((out / "results.json").read_text())["submissions"]
                ours = {row["student"]: row["score"] for row in rows}
                statuses = {row["status"] for row in rows}

    differing = sorted(s for s in sample if peer.get(s) != ours.get(s))
    peer_rate = len(sample) / peer_seconds
    print(
        f"nbgrader autograde: {len(sample)} submissions in {peer_seconds:.1f} s, "
        f"{1 / peer_rate:.2f} s per submission"
    )
    for label, (count, run, stages) in runs.items():
        report(label, count, run, stages)
    whole_rate = arguments.students / runs["whole class"][1]["wall"]
    print(f"throughput ratio kit / nbgrader: {whole_rate / peer_rate:.0f}x")
    print(f"statuses in the class: {', '.join(sorted(statuses))}")
    print(f"sampled students whose totals differ: {len(differing)} {differing[:5]}")


if __name__ == "__main__":
    main()
