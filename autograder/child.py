"""The student side of the channel: runs a submission's cells, then answers the judge.

This module runs inside the sandboxed student process. It knows the lesson's public setting
and how to call the student's functions (`InProcessStudent`); it holds no expected values and
no checks. Its answers are plain JSON; the judge trusts none of it beyond the numbers, which it
verifies against its own maths.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

from . import lesson
from .protocol import ProtocolError, receive_message, send_message
from .student import InProcessStudent, describe_error


class GradingShell:
    """Stands in for IPython's `get_ipython()` while a submission's cells run.

    Magics that only change display (`%matplotlib`) do nothing; `%time`/`%%time` run their code;
    everything else (shell escapes, other magics) is not run, and a note says so.
    """

    _DISPLAY_ONLY = frozenset({"matplotlib", "config", "load_ext", "reload_ext", "autoreload"})
    _RUNS_ITS_CODE = frozenset({"time", "timeit", "capture"})

    def __init__(self, namespace: dict[str, Any], notes: list[str]) -> None:
        self.namespace = namespace
        self.notes = notes
        self.user_ns = namespace

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> None:
        if name in self._RUNS_ITS_CODE:
            exec(compile(line, "<cell magic>", "exec"), self.namespace)
        elif name not in self._DISPLAY_ONLY:
            self.notes.append(f"%{name} {line} was not run while grading")

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        if name in self._RUNS_ITS_CODE:
            exec(compile(cell, "<cell magic>", "exec"), self.namespace)
        else:
            self.notes.append(f"%%{name} cell was not run while grading")

    def system(self, command: str) -> None:
        self.notes.append(f"shell command !{command} was not run while grading")

    def getoutput(self, command: str, split: bool = True) -> list[str]:
        self.system(command)
        return []


def lesson_namespace() -> dict[str, Any]:
    """What the notebook's read-only cells define before the student's cells run."""
    import matplotlib.pyplot as plt
    import torch
    from torch import nn

    x, y = lesson.make_data()
    return {
        "__name__": "__main__",
        "torch": torch,
        "nn": nn,
        "plt": plt,
        "n": lesson.N_POINTS,
        "x": x,
        "y": y,
        "a": nn.Parameter(torch.tensor(lesson.FIRST_GUESS, dtype=torch.float32)),
        "lr": lesson.LEARNING_RATE,
    }


def run_cells(
    cells: list[dict[str, Any]], namespace: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Execute each cell in order, as a kernel would; a failing cell does not stop the next."""
    notes: list[str] = []
    errors: list[str] = []
    namespace["get_ipython"] = lambda: shell
    shell = GradingShell(namespace, notes)
    for cell in cells:
        try:
            code = compile(cell["source"], f"<cell {cell['index']}>", "exec")
            exec(code, namespace)
        except Exception as error:
            errors.append(describe_error(error))
        finally:
            sys.stdout.flush()
    return errors, notes


def serve(sock: socket.socket, payload: dict[str, Any]) -> None:
    """Wait for the cells, run them, report readiness, then answer `loss` and `updates`.

    `payload` is the sandbox's launch data; grading sends everything over `sock` instead, so
    that no student's code ever passes through the fork server's memory.
    """
    try:
        start = receive_message(sock)
    except ProtocolError:
        return
    namespace = lesson_namespace()
    errors, notes = run_cells(start.get("cells", []), namespace)
    student = InProcessStudent(namespace)
    send_message(sock, {"ready": True, "cell_errors": errors[:20], "notes": notes[:20]})
    while True:
        try:
            request = receive_message(sock)
        except ProtocolError:
            return
        operation = request.get("op")
        if operation == "loss":
            answer = student.loss(request["y"], request["y_guess"]).to_json()
        elif operation == "updates":
            answer = student.updates(request["start"], request["calls"]).to_json()
        else:
            return
        send_message(sock, answer)
