"""Which limit stopped a student's code does not depend on how busy the machine is.

On a machine loaded by other sessions (a class graded beside another one, a neighbour's
students), an endless loop gets a small share of a CPU and cannot use up its CPU time before
the wall clock runs out; it still wanted the CPU all along, so it is a CPU limit, as on an idle
machine, and code that waits is still a timeout. Which limit it was is judged by the final
stretch before the clock ran out: code asleep by then is a timeout, however busy before. A
class is graded for real (`grade`: the judge, the sandbox, the hidden checks) while endless
loops in sessions of their own load every CPU it may use (one, as the suite's other worker keeps
the others).
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.corpus.answers import REFERENCE_LOSS, REFERENCE_UPDATE
from tests.support.notebooks import ROOT, filled_release, write_submission
from tests.support.processes import loaded_machine, on_one_cpu

pytestmark = pytest.mark.slow

LOOP = "\nwhile True:\n    pass\n"
DEAF_LOOP = """
import signal
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU):
    signal.signal(number, signal.SIG_IGN)
while True:
    pass
"""
UPDATE_LOOP = "\ndef update():\n    while True:\n        pass\n"
SLEEP = "\nimport time\ntime.sleep(3600)\n"
BUSY_THEN_ASLEEP = """
import time
until = time.monotonic() + 1.2
while time.monotonic() < until:
    pass
time.sleep(3600)
"""

STOPPED = {
    "loop_at_the_top_level": (REFERENCE_LOSS + LOOP, REFERENCE_UPDATE, "cpu_limit"),
    "loop_deaf_to_signals": (REFERENCE_LOSS + DEAF_LOOP, REFERENCE_UPDATE, "cpu_limit"),
    "loop_inside_update": (REFERENCE_LOSS, UPDATE_LOOP, "cpu_limit"),
    "sleep_at_the_top_level": (REFERENCE_LOSS + SLEEP, REFERENCE_UPDATE, "timeout"),
    "busy_then_asleep": (REFERENCE_LOSS + BUSY_THEN_ASLEEP, REFERENCE_UPDATE, "timeout"),
}

LIMIT = 3  # seconds on the clock


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each case's record, the class graded with a `LIMIT` s limit while every CPU is loaded."""
    folder = tmp_path_factory.mktemp("under-load")
    for name, (loss, update, _) in STOPPED.items():
        write_submission(folder / "class" / f"{name}.ipynb", filled_release(loss, update))
    with on_one_cpu(), loaded_machine(busy_per_cpu=4):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "grade", str(folder / "class")]
            + ["--out", str(folder / "out"), "--timeout", str(LIMIT)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr
    found = [json.loads(path.read_text()) for path in (folder / "out" / "records").glob("*.json")]
    return {record["student"]: record for record in found}


@pytest.mark.parametrize("case", list(STOPPED))
def test_a_limit_hit_on_a_loaded_machine_is_the_one_hit_on_an_idle_one(
    records: dict[str, dict[str, Any]], case: str
) -> None:
    record = records[case]
    assert record["status"] == STOPPED[case][2], record["message"]
    said = {check["message"] for check in record["checks"] if not check["passed"]}
    assert not [message for message in said if "crashed" in message], said


@pytest.mark.parametrize("case", list(STOPPED))
def test_the_wait_for_a_stopped_student_is_timed_as_theirs_not_the_checks(
    records: dict[str, dict[str, Any]], case: str
) -> None:
    """Where a record says its time went: the wait for code stopped at a limit is its cells'
    or its answers', never the checks', or a class's timings would hide its slow students in
    the judge's stage. (The checks' own time here is the judge's work with a fifth of a CPU:
    up to a second or two, never the limit's wait.)"""
    timings = records[case]["timings"]
    assert timings["cells"] + timings["questions"] >= LIMIT, timings
    assert timings["checks"] < LIMIT, timings
