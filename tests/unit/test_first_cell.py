"""A prepared shell's first cell loads nothing IPython's running of a cell would load.

The fork server prepares each student's shell (`responder.prepare`), so what IPython loads
while it runs a shell's first cell (modules it imports on first use, the logger, the source
of its own frames beneath every cell) is loaded once, there, not in each student process.
The class: any first cell, plain or one that formats a stack (a traceback, a warning,
torch's lazy seeding), run in a process forked, as a student's is, from an interpreter that
has loaded what the fork server loads. Each must load no module and read no file of
IPython's that the prepared shell had not, and must see from inside what it sees in a shell
that was not prepared.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FIRST_CELLS = {
    "plain": "total = sum(range(10))",
    "an expression shown": "3 * 7",
    "a formatted stack": "import traceback\nstack = traceback.format_stack()",
    "a warning shown": "import warnings\nwarnings.warn('careful')",
    "torch's lazy seeding": "import torch\ntorch.manual_seed(0)",
    "a definition": "def f(v):\n    return v + 1\nf(1)",
}

PROBE = """
import json, linecache, os, sys
from autograder.inside import responder
from autograder.sandbox.server import import_what_every_student_needs

import_what_every_student_needs()  # as the fork server does before it prepares anything

def first_cell(cell, prepared):
    reading, writing = os.pipe()
    if os.fork() == 0:  # a student process, as the fork server forks one
        shell = responder._fresh_shell([]) if prepared else responder.StudentShell([])
        modules, lines = set(sys.modules), set(linecache.cache)
        cell += "\\nseen = ('bdb' in sys.modules, len(traceback.format_stack()))"
        error = shell.run("import sys, traceback\\n" + cell, "cell 1")
        os.write(writing, json.dumps({
            "error": repr(error),
            "modules": sorted(set(sys.modules) - modules),
            "read": sorted(name for name in set(linecache.cache) - lines if "IPython" in name),
            "seen": shell.user_ns["seen"],
        }).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as replies:
        ran = json.loads(replies.read())
    os.wait()
    return ran

cells = json.loads(sys.stdin.read())
unprepared = [first_cell(cell, False) for cell in cells]
responder.prepare([])
prepared = [first_cell(cell, True) for cell in cells]
print(json.dumps(list(zip(prepared, unprepared))))
"""


@pytest.fixture(scope="module")
def first_cells() -> dict[str, tuple[dict, dict]]:
    """Each first cell run in a prepared shell and in one that was not, each in a process of
    its own forked from an interpreter that loaded what the fork server loads."""
    ran = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=json.dumps(list(FIRST_CELLS.values())),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return dict(zip(FIRST_CELLS, json.loads(ran.stdout.splitlines()[-1]), strict=True))


@pytest.mark.parametrize("cell", list(FIRST_CELLS))
def test_a_prepared_shell_runs_its_first_cell_loading_nothing_and_seeing_the_same(
    cell, first_cells
):
    prepared, unprepared = first_cells[cell]
    assert prepared["error"] == unprepared["error"] == "None"
    assert prepared["modules"] == []
    assert prepared["read"] == []
    assert prepared["seen"] == unprepared["seen"]
    assert "bdb" in unprepared["modules"]  # what the preparation spares is loaded otherwise
