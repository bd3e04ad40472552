"""Throughput of one batch graded locally and on a Dask LocalCluster, with identical grades.

Builds the same kind of class as `throughput.py` (every correct style and typical mistake of
the test corpus, cycled, with a few that run out of time and a few broken files), grades it
with local judge workers and with `--scheduler local:2` under the same seed, checks that every
student gets the same status, score and checks both ways, and prints each run's throughput.
The cluster's figures include starting the cluster and its workers' fork servers.

Usage: python benchmarks/cluster.py [--students 200] [--scheduler local:2]
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

from benchmarks.throughput import breakdown, first_students, grade, make_course, report  # noqa: E402

SEED = "4242"


def grades(out: Path) -> dict[str, tuple[str, float, str]]:
    """Each student's status, score and checks, from their record."""
    found = {}
    for path in (out / "records").glob("*.json"):
        record = json.loads(path.read_text())
        found[record["student"]] = (record["status"], record["score"], json.dumps(record["checks"]))
    return found


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--students", type=int, default=200)
    options.add_argument("--scheduler", default="local:2")
    arguments = options.parse_args()
    cores = os.cpu_count() or 1
    runs = {"local workers": (), arguments.scheduler: ("--scheduler", arguments.scheduler)}
    found = {}
    with tempfile.TemporaryDirectory(prefix="cluster-") as scratch:
        folder = Path(scratch)
        course, names = make_course(folder, arguments.students)
        inputs = first_students(course, names, arguments.students, folder / "in")
        for label, extra in runs.items():
            out = folder / f"out-{len(found)}"
            run = grade(inputs, out, cores, "--seed", SEED, *extra)
            report(label, arguments.students, run, breakdown(out), cores)
            found[label] = grades(out)
    local, cluster = found.values()
    differing = sorted(student for student in local if local[student] != cluster.get(student))
    print(f"students graded: {len(local)} locally, {len(cluster)} on {arguments.scheduler}")
    print(f"students whose grades differ: {len(differing)} {differing[:5]}")
    if differing or len(local) != len(cluster):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
