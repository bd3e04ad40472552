"""Notebooks run by the kit's own student-side code, with a snapshot of the namespace at each
graded cell: the other half of the fidelity test.

This is the one place the test knows how the kit runs cells: when the student side's
interface changes, only `kit_snapshots` changes.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from autograder.intake.notebook import Cell, Checkpoint
from tests.support.fidelity import GRADED, Snapshot, Step
from tests.support.inprocess import InProcessChannel
from tests.support.lesson import lesson_in_process
from tests.support.namespace_snapshot import snapshot


def kit_snapshots(steps: Sequence[Step], directory: Path) -> list[Snapshot]:
    """Run `steps` through the kit's `Responder`, as the student process does, in the working
    directory `directory`; the snapshot of the notebook's namespace at each graded cell."""
    planned: list[Cell | Checkpoint] = []
    for index, step in enumerate(steps, start=1):
        if step is GRADED:
            planned.append(Checkpoint(f"graded {index}", f"cell {index}"))
        else:
            planned.append(Cell(f"cell {index}", str(step), "student"))
    channel = InProcessChannel()
    snapshots: list[Snapshot] = []
    with _as_in_the_student_process(directory):
        start = {
            "op": "start",
            "steps": [s.to_json() for s in planned],
            "lesson": lesson_in_process().for_student(),
        }
        reply = channel.request(start, 60)
        while reply.get("at") is not None:
            run = channel.responder.run
            assert run is not None
            hidden = run.shell.user_ns_hidden
            own = {name: run.namespace[name] for name in hidden if name in run.namespace}
            with _quiet():
                snapshots.append(snapshot(run.namespace, own))
            reply = channel.request({"op": "continue"}, 60)
    return snapshots


@contextlib.contextmanager
def _as_in_the_student_process(directory: Path) -> Iterator[None]:
    """The student process's surroundings, in this process: `directory` as the working
    directory, and `sys.path` as the sandbox gives it (`Sandbox` hands the fork server the
    judge's path with `''` made absolute, so the working directory is not on it). All of it,
    and every module imported from `directory`, is undone on leaving."""
    cwd, path = os.getcwd(), list(sys.path)
    sys.path[:] = [entry or cwd for entry in path]
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        for name, module in list(sys.modules.items()):
            if str(getattr(module, "__file__", None) or "").startswith(str(directory)):
                del sys.modules[name]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """What student functions print while a snapshot calls them is not kept."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield
