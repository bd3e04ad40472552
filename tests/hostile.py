"""Submissions that try to fool, crash, stall or escape the grader, and what it must give each.

Each case is a notebook written from the release (or a broken file). `status` is the row's
required status; `score` is the exact total the case must get: never more than its honest
maths deserves. Cells are templates: `{marker}` is a string unique to the test run, `{port}`
a port the test listens on, `{secrets}` a list of files the student must not be able to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.answers import REFERENCE_LOSS, REFERENCE_UPDATE

SUM_LOSS = "def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).sum()\n"


@dataclass(frozen=True)
class Hostile:
    name: str
    status: str
    score: float
    loss: str = REFERENCE_LOSS
    update: str = REFERENCE_UPDATE
    file: bytes | None = None  # the whole file, for submissions that are not notebooks
    edit: str = ""  # a change to the notebook's structure, applied by the test (see EDITS)


CASES = [
    Hostile(
        "exits_inside_the_loss",
        "crashed",
        0.0,
        loss="""
import sys
def mean_squared_error(y, y_guess):
    sys.exit(0)
""",
    ),
    Hostile(
        "os_exit_at_top_level",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS
        + """
import os
os._exit(0)
""",
    ),
    Hostile(
        "always_equal_object",
        "graded",
        9.0,
        loss="""
class AlwaysEqual(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 8.231786
def mean_squared_error(y, y_guess):
    return AlwaysEqual(0.0)
""",
    ),
    Hostile(
        "tensor_subclass_that_lies",
        "graded",
        9.0,
        loss="""
import torch
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.Tensor.__eq__, torch.allclose, torch.equal, torch.isclose):
            return True
        if func is torch.Tensor.tolist or func is torch.Tensor.item:
            return 8.231786
        return super().__torch_function__(func, types, args, kwargs or {{}})
def mean_squared_error(y, y_guess):
    return ((y_guess - y) ** 2).sum().as_subclass(Liar)
""",
    ),
    Hostile(
        "patches_the_comparisons",
        "graded",
        9.0,
        loss="""
import math, torch, torch.testing
torch.allclose = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
torch.equal = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
"""
        + SUM_LOSS,
    ),
    Hostile(
        "snoops_the_call_stack",
        "graded",
        9.0,
        loss="""
import inspect, torch
def mean_squared_error(y, y_guess):
    for frame in inspect.stack():
        for name, value in frame.frame.f_locals.items():
            if "expect" in name and isinstance(value, (int, float)):
                print("{marker}-SNOOPED", name)
                return torch.tensor(float(value), requires_grad=True)
    return ((y_guess - y) ** 2).sum()
""",
    ),
    Hostile(
        "writes_fake_results",
        "graded",
        9.0,
        loss="""
import json, os
fake = {{"assignment": "gradient_descent", "submissions": [{{"student": "x", "score": 12}}]}}
for folder in ["/tmp", os.getcwd(), "{out}", os.path.expanduser("~")]:
    for name in ["results.json", "grades.csv", "{marker}-planted"]:
        try:
            with open(os.path.join(folder, name), "w") as stream:
                json.dump(fake, stream)
            print("{marker}-WROTE", folder, name)
        except OSError:
            pass
"""
        + SUM_LOSS,
    ),
    Hostile(
        "reads_hidden_checks_and_other_students",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import os
for secret in {secrets}:
    try:
        with open(secret) as stream:
            print("{marker}-LEAKED", secret, stream.read(40))
    except OSError:
        pass
    if os.path.exists(secret):
        print("{marker}-SEES", secret)
""",
    ),
    Hostile(
        "infinite_loop_at_top_level",
        "cpu_limit",
        0.0,
        loss=REFERENCE_LOSS
        + """
while True:
    pass
""",
    ),
    Hostile(
        "infinite_loop_inside_update",
        "cpu_limit",
        5.0,
        update="""
def update():
    while True:
        pass
""",
    ),
    Hostile(
        "ignores_sigterm_and_sigxcpu",
        "cpu_limit",
        0.0,
        loss=REFERENCE_LOSS
        + """
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGXCPU, signal.SIG_IGN)
while True:
    pass
""",
    ),
    Hostile(
        "fork_bomb",
        "cpu_limit",
        0.0,
        loss=REFERENCE_LOSS
        + """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
""",
    ),
    Hostile(
        "memory_bomb_in_update",
        "graded",
        5.0,
        update="""
def update():
    hoard = torch.ones(2 * 1024**3)
""",
    ),
    Hostile(
        "hundred_megabytes_of_output",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import sys
line = "{marker}-NOISE " * 1000 + "\\n"
for _ in range(100 * 1024 * 1024 // len(line)):
    sys.stdout.write(line)
""",
    ),
    Hostile(
        "network_access",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import socket
for address in [("127.0.0.1", {port}), ("1.1.1.1", 53), ("10.0.0.1", 80)]:
    try:
        socket.create_connection(address, timeout=1).close()
        print("{marker}-CONNECTED", address)
    except OSError:
        pass
""",
    ),
    Hostile(
        "background_processes",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import os, subprocess, sys
subprocess.Popen(["sleep", "{marker_seconds}"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "{marker_seconds}"])
    os._exit(0)
""",
    ),
    Hostile(
        "asks_for_input",
        "missing_function",
        7.0,
        loss="""
name = input("your name? ")
"""
        + REFERENCE_LOSS,
    ),
    Hostile(
        "segfault_inside_update",
        "crashed",
        5.0,
        update="""
import ctypes
def update():
    ctypes.string_at(0)
""",
    ),
    Hostile(
        "grandchild_forges_an_answer",
        "graded",
        9.0,
        loss="""
import json, os, socket
def mean_squared_error(y, y_guess):
    if os.fork() == 0:
        forged = {{"error": None, "returned": "tensor", "shape": [], "values": [8.231786],
                  "tracks_gradient": True, "grad": None, "grad_error": None,
                  "y_after": y.tolist(), "y_guess_after": y_guess.tolist()}}
        for fd in range(3, 64):
            try:
                socket.socket(fileno=os.dup(fd)).send(json.dumps(forged).encode())
            except OSError:
                pass
        os._exit(0)
    return ((y_guess - y) ** 2).sum()
""",
    ),
    Hostile(
        "magics_and_shell_escapes",
        "graded",
        12.0,
        loss="%matplotlib inline\n!pip install torch\n" + REFERENCE_LOSS,
    ),
    Hostile("duplicated_cell_ids", "invalid", 0.0, edit="duplicate_ids"),
    Hostile("edits_a_graded_cell", "graded", 9.0, loss=SUM_LOSS, edit="overwrite_graded_cell"),
    Hostile("old_nbformat_3", "graded", 12.0, edit="nbformat_3"),
    Hostile("empty_file", "invalid", 0.0, file=b""),
    Hostile("invalid_json", "invalid", 0.0, file=b'{"cells": [ {"cell_type": '),
    Hostile("json_but_not_a_notebook", "invalid", 0.0, file=b'{"student": "me", "answer": 42}'),
    Hostile("binary_garbage", "invalid", 0.0, file=bytes(range(256)) * 64),
]
