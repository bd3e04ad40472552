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


def test_every_magic_a_jupyter_kernel_adds_is_noted_and_the_cell_goes_on() -> None:
    """A kernel's own magics talk to Jupyter's front end; grading has none, so each is noted
    and passed over, and the rest of its cell runs as it would in Jupyter."""
    from ipykernel.zmqshell import KernelMagics

    from autograder.inside.shell import FRONT_END_MAGICS, StudentShell

    assert set(FRONT_END_MAGICS) == set(KernelMagics.magics["line"])
    assert not KernelMagics.magics["cell"]
    notes: list[str] = []
    shell = StudentShell(notes)
    for name in FRONT_END_MAGICS:
        assert shell.run(f"%{name} 0\nafter_{name} = True", "cell 1") is None
        assert shell.user_ns[f"after_{name}"] is True
    assert notes == [f"%{name} 0 was not run while grading" for name in FRONT_END_MAGICS]


def test_a_read_only_cells_undrawn_figure_is_neither_shown_nor_kept_as_the_last_value() -> None:
    """The release's read-only cells draw nothing (`plt` is a stand-in while they run), and
    their `plt.show()` ends the cell on None in Jupyter: the stand-in must not reach the
    student's page as an `Out[...]`, nor become the `_` a later cell of theirs reads."""
    from autograder.intake.notebook import Cell, Checkpoint
    from tests.support.inprocess import InProcessChannel
    from tests.support.lesson import lesson_in_process

    steps = [
        Cell("cell 1", "import matplotlib.pyplot as plt", "release"),
        Cell("cell 2", "6 * 7", "student"),
        Cell("cell 3", "plt.plot([1, 2], [3, 4])\nplt.title('t')\nplt.show()", "release"),
        Cell("cell 4", "kept = _", "student"),
        Cell("cell 5", "plt.title('t')", "release"),
        Checkpoint("loss", "cell 6"),
    ]
    channel = InProcessChannel()
    start = {
        "op": "start",
        "steps": [step.to_json() for step in steps],
        "lesson": lesson_in_process().for_student(),
    }
    reply = channel.request(start, 60)
    assert reply["cell_errors"] == []
    assert channel.responder.run.namespace["kept"] == 42
    assert reply["output"] == "Out[2]: 42\n"
