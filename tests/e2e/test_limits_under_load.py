"""Which limit stopped a student's code does not depend on how busy the machine is.

On a machine loaded by other sessions (a class graded beside another one, a neighbour's
students), an endless loop gets a small share of a CPU and cannot use up its CPU time before
the wall clock runs out; it still wanted the CPU all along, so it is a CPU limit, as on an idle
machine, and code that waits is still a timeout. Graded through the judge, the real sandbox and
the hidden checks, one notebook at a time (`check`). Which limit it was is judged by the final
stretch before the clock ran out: code asleep by then is a timeout, however busy before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.judge.one_notebook import check_notebook
from autograder.sandbox import Limits
from tests.corpus.answers import REFERENCE_LOSS, REFERENCE_UPDATE
from tests.support.notebooks import RELEASE, filled_release, write_submission
from tests.support.processes import loaded_machine

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
    "loop at the top level": (REFERENCE_LOSS + LOOP, REFERENCE_UPDATE, "cpu_limit"),
    "loop deaf to signals": (REFERENCE_LOSS + DEAF_LOOP, REFERENCE_UPDATE, "cpu_limit"),
    "loop inside update()": (REFERENCE_LOSS, UPDATE_LOOP, "cpu_limit"),
    "sleep at the top level": (REFERENCE_LOSS + SLEEP, REFERENCE_UPDATE, "timeout"),
    "busy, then asleep": (REFERENCE_LOSS + BUSY_THEN_ASLEEP, REFERENCE_UPDATE, "timeout"),
}


@pytest.mark.parametrize("case", list(STOPPED))
def test_a_limit_hit_on_a_loaded_machine_is_the_one_hit_on_an_idle_one(
    tmp_path: Path, case: str
) -> None:
    loss, update, status = STOPPED[case]
    notebook = write_submission(tmp_path / "answer.ipynb", filled_release(loss, update))
    with loaded_machine(busy_per_cpu=4):
        record, _ = check_notebook(notebook, Limits.for_wall_clock(3.0), RELEASE, seed=1)
    assert record.status == status, record.message
    said = {result.message for result in record.checks if not result.passed}
    assert not [message for message in said if "crashed" in message], said
