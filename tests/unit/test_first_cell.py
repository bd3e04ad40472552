"""A prepared shell's first cell loads nothing IPython's running of a cell would load.

The fork server prepares each student's shell (`responder.prepare`), so what IPython loads
the first time a shell needs it (modules it imports on first use, the logger, the source of
its own frames beneath every cell, its magics, what a first traceback is formatted with) is
loaded once, there, not in each student process. The class: any first cell, plain, one that
formats a stack (a traceback, a warning, torch's lazy seeding), one that fails (in its own
code or inside torch), or one that uses one of IPython's magics, run in a process forked, as
a student's is, from an interpreter that has loaded what the fork server loads. Each must
load no module (a magic's body may import what it alone uses, `%time` its timer, as it does
in a kernel: no module of IPython's magics) and read no file of IPython's that the prepared
shell had not, and must show and see from inside what it shows and sees in a shell that was
not prepared.
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
    "a failing check": "assert sum(range(3)) == 4, 'not four'",
    "a failure inside torch": "import torch\ntorch.ones(2) @ torch.ones(3)",
    "a timed line": "%time total = sum(range(10))",
    "a timed cell": "%%timeit -n 1 -r 1\ntotal = sum(range(10))",
    "the inline backend": "%matplotlib inline",
    "captured output": "%%capture captured\nprint('kept')",
    "a file written": "%%writefile notes.txt\nsome notes",
    "the working directory": "%pwd",
}
TIMED = ("%time", "%%timeit")  # what they print differs from one run to the next

PROBE = """
import contextlib, io, json, linecache, os, shutil, sys, tempfile
from autograder.inside import responder
from autograder.sandbox.server import import_what_every_student_needs

import_what_every_student_needs()  # as the fork server does before it prepares anything
HERE = os.path.join(tempfile.mkdtemp(), "here")

def first_cell(cell, prepared):
    reading, writing = os.pipe()
    if os.fork() == 0:  # a student process, as the fork server forks one
        os.makedirs(HERE)  # the same empty directory for each, gone after it
        os.chdir(HERE)
        shell = responder._fresh_shell([]) if prepared else responder.StudentShell([])
        modules, lines = set(sys.modules), set(linecache.cache)
        shown = io.StringIO()
        with contextlib.redirect_stdout(shown), contextlib.redirect_stderr(shown):
            error = shell.run(cell, "cell 1")
        loaded = sorted(set(sys.modules) - modules)
        read = sorted(name for name in set(linecache.cache) - lines if "IPython" in name)
        shell.run(
            "import sys, traceback\\n"
            "seen = ('bdb' in sys.modules, len(traceback.format_stack()),"
            " hasattr(get_ipython().InteractiveTB, 'tb'))",
            "cell 2",
        )
        os.write(writing, json.dumps({
            "error": repr(error),
            "shown": shown.getvalue(),
            "modules": loaded,
            "read": read,
            "seen": shell.user_ns["seen"],
        }).encode())
        shutil.rmtree(HERE)
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
    assert prepared["error"] == unprepared["error"]
    if FIRST_CELLS[cell].startswith("%"):
        assert not [name for name in prepared["modules"] if name.startswith("IPython.core")]
    else:
        assert prepared["modules"] == []
    assert prepared["read"] == []
    assert prepared["seen"] == unprepared["seen"]
    if not FIRST_CELLS[cell].startswith(TIMED):
        assert prepared["shown"] == unprepared["shown"]
    assert "bdb" in unprepared["modules"]  # what the preparation spares is loaded otherwise


def test_what_the_preparation_spares_is_loaded_otherwise(first_cells):
    """A failing cell formats its traceback, and a magic's cell imports its magics, with
    what a shell that was not prepared loads then: the preparation is what spares it."""
    assert "pygments.formatters" in first_cells["a failing check"][1]["modules"]
    assert "IPython.core.magics.execution" in first_cells["a timed line"][1]["modules"]
    assert first_cells["a failing check"][0]["error"] != "None"
    assert first_cells["a failing check"][0]["seen"][2] is True  # as `%debug` finds it
