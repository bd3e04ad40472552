"""The shell a submission's cells run in leaves nothing for interpreter exit."""

from __future__ import annotations

import subprocess
import sys

SHELLS_THEN_EXIT = """
from autograder.inside.shell import StudentShell
StudentShell.reset = lambda self, *args, **kwargs: print("reset at exit", flush=True)
shells = [StudentShell([]) for _ in range(3)]
shells[0].run("x = [0] * 10", "cell 1")
"""


def test_a_process_holding_shells_exits_without_resetting_them() -> None:
    """Grading keeps no history, so IPython's exit-time reset would only cost time: a process
    that ran many notebooks' cells in shells of its own would spend its exit resetting each."""
    done = subprocess.run(
        [sys.executable, "-c", SHELLS_THEN_EXIT], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "reset at exit" not in done.stdout
