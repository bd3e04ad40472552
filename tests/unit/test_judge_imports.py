"""The judge never imports torch: only the fork server and its student processes hold it, so
a judge process starts without its 1.4 s and ~140 MB (see `autograder.judge.reference`)."""

from __future__ import annotations

import subprocess
import sys

JUDGE = """
import sys
import autograder.batch.worker
import autograder.feedback.pages
import autograder.judge.one_notebook
import autograder.judge.sandboxed
import autograder.judge.well_posed
from autograder.judge.runner import hidden_checks
hidden_checks()
print(sorted(name for name in sys.modules if name == "torch" or name.startswith("torch.")))
"""


def test_the_judge_and_its_checks_load_no_torch() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", JUDGE], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"
