"""Submissions that try to fool, crash, stall or escape the grader, and what it must give each.

Each case is a notebook written from the release (or a broken file). `status` is the row's
required status; `score` is the exact total the case must get: never more than its honest
maths deserves. Cells are templates: `{marker}` is a string unique to the test run, `{port}`
a port the test listens on, `{secrets}` a list of files the student must not be able to read.
A case with a `file_name` is stored under those raw bytes, and its row must carry `student`.

The cases come in classes, each tried several ways: leaving early, lying objects and patched
comparisons, snooping, reading and writing the host, starving the machine (time, CPU,
processes, memory, output, disk), the channel to the judge (malformed, oversized, forged or
out-of-turn messages), answers the judge cannot read (complex, meta, sparse, nested, huge,
unprintable) or chart, text that attacks terminals, spreadsheets and encoders, file names,
notebook files that are broken or built to make the judge work, and the kit's own modules.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.corpus.answers import REFERENCE_LOSS, REFERENCE_UPDATE

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
    file_name: bytes | None = None  # the raw file name, when it is part of the attack
    student: str = ""  # the id its row must carry (default: the case's name)

    @property
    def row_id(self) -> str:
        return self.student or self.name


CASES = [
    Hostile(
        "exits_inside_the_loss",
        "graded",
        7.0,
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
        7.0,
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
import sys, torch
def mean_squared_error(y, y_guess):
    frame = sys._getframe()
    while frame := frame.f_back:
        for name, value in frame.f_locals.items():
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
forged_once = False
def mean_squared_error(y, y_guess):
    global forged_once
    if forged_once:
        return ((y_guess - y) ** 2).sum()
    forged_once = True
    child = os.fork()
    if child == 0:
        forged = {{"error": None, "returned": "tensor", "shape": [], "values": [8.231786],
                  "tracks_gradient": True, "grad": None, "grad_error": None,
                  "changed": []}}
        for fd in range(3, 64):
            try:
                socket.socket(fileno=os.dup(fd)).send(b"." + json.dumps(forged).encode())
            except OSError:
                pass
        os._exit(0)
    os.waitpid(child, 0)
    return ((y_guess - y) ** 2).sum()
""",
    ),
    Hostile(
        "magics_and_shell_escapes",
        "graded",
        12.0,
        loss="%matplotlib inline\n!pip install torch\n" + REFERENCE_LOSS,
    ),
    Hostile("duplicated_cell_ids", "graded", 12.0, edit="duplicate_ids"),
    Hostile("edits_a_graded_cell", "graded", 9.0, loss=SUM_LOSS, edit="overwrite_graded_cell"),
    Hostile("old_nbformat_3", "graded", 12.0, edit="nbformat_3"),
    Hostile("empty_file", "invalid", 0.0, file=b""),
    Hostile("invalid_json", "invalid", 0.0, file=b'{"cells": [ {"cell_type": '),
    Hostile("json_but_not_a_notebook", "invalid", 0.0, file=b'{"student": "me", "answer": 42}'),
    Hostile("binary_garbage", "invalid", 0.0, file=bytes(range(256)) * 64),
]

CHANNEL = "import socket\nchannel = socket.socket(fileno=3)\n"

CASES += [
    # The channel to the judge: anything but a well-formed answer in turn ends the run there.
    Hostile(
        "huge_integer_on_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS
        + CHANNEL
        + 'channel.send(b\'.{{"at": "loss", "ran": 1\' + b"0" * 5000 + b"}}")\n',
    ),
    Hostile(
        "lone_surrogate_on_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS + CHANNEL + 'channel.send(b\'.{{"at": "\\\\udc80", "ran": 1}}\')\n',
    ),
    Hostile(
        "unframed_message_on_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS + CHANNEL + 'channel.send(b\'{{"at": "loss", "ran": 1}}\')\n',
    ),
    Hostile(
        "garbage_bytes_on_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS + CHANNEL + 'channel.send(b".\\xff\\xfe{{not json")\n',
    ),
    Hostile(
        "oversized_message_on_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS
        + CHANNEL
        + 'for _ in range(40):\n    channel.send(b"+" + b"1," * 60000)\nchannel.send(b".1]")\n',
    ),
    Hostile(
        "closes_the_channel",
        "crashed",
        0.0,
        loss=REFERENCE_LOSS + "import os\nos.close(3)\n",
    ),
    Hostile(
        "answers_out_of_turn",
        "crashed",
        0.0,
        loss="""
import json, socket
def mean_squared_error(y, y_guess):
    socket.socket(fileno=3).send(b"." + json.dumps({{"id": 99999, "answers": []}}).encode())
    return ((y_guess - y) ** 2).mean()
""",
    ),
    # Answers the judge cannot read as real numbers: that question fails, nothing else.
    Hostile(
        "complex_loss",
        "graded",
        7.0,
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return ((y_guess - y) ** 2).mean() * (1 + 0j)\n",
    ),
    Hostile(
        "meta_device_loss",
        "graded",
        7.0,
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return torch.empty((), device='meta')\n",
    ),
    Hostile(
        "sparse_loss",
        "graded",
        10.0,
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return ((y_guess - y) ** 2).mean().reshape(1).to_sparse()\n",
    ),
    Hostile(
        "nested_list_loss",
        "graded",
        7.0,
        loss="def mean_squared_error(y, y_guess):\n"
        "    nested = []\n"
        "    for _ in range(5000):\n"
        "        nested = [nested]\n"
        "    return nested\n",
    ),
    Hostile(
        "ten_million_values",
        "graded",
        7.0,
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return torch.zeros(10_000_000) + ((y_guess - y) ** 2).mean()\n",
    ),
    Hostile(
        "number_too_large_for_a_float",
        "graded",
        7.0,
        loss="def mean_squared_error(y, y_guess):\n    return 10 ** 400\n",
    ),
    Hostile(  # read, but too large for the chart on its page, which says it in words
        "loss_near_the_largest_float",
        "graded",
        7.0,
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return torch.tensor(1.7e308, dtype=torch.float64)\n",
    ),
    Hostile(
        "subclass_whose_methods_all_raise",
        "graded",
        12.0,
        loss="""
import torch
class Hostile(torch.Tensor):
    def __getattribute__(self, name):
        raise RuntimeError("no")
    def __repr__(self):
        raise RuntimeError("no")
def mean_squared_error(y, y_guess):
    return ((y_guess - y) ** 2).mean().as_subclass(Hostile)
""",
    ),
    Hostile(
        "exception_whose_str_raises",
        "graded",
        7.0,
        loss="""
class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")
def mean_squared_error(y, y_guess):
    raise Unprintable()
""",
    ),
    Hostile(  # every call is judged, so from call 50 on the run is broken in every category
        "update_changes_the_shape_of_a_once",
        "graded",
        5.0,
        update="""
def update():
    a.calls = getattr(a, "calls", 0) + 1
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
    if a.calls == 50:
        a.data = torch.zeros(3)
""",
    ),
    Hostile(
        "update_deletes_a",
        "graded",
        5.0,
        update="def update():\n    del globals()['a']\n",
    ),
    # Text that attacks terminals, spreadsheets and encoders.
    Hostile(
        "escape_sequences_in_errors",
        "graded",
        7.0,
        loss="""
def mean_squared_error(y, y_guess):
    raise ValueError("\\x1b[2J\\x1b[H\\x1b[32mALL CHECKS PASSED\\x1b[0m \\u202e =cmd|' /C calc'!A0")
""",
    ),
    Hostile(
        "lone_surrogates_everywhere",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import sys
sys.stdout.buffer.write(b"\\xed\\xb2\\x80 surrogate bytes\\n")
raise ValueError("\\udc80 a lone surrogate in a message")
""",
    ),
    # The kit's own modules.
    Hostile(
        "imports_the_kit",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
import sys
for name in ["autograder", "autograder.inside.reporter", "autograder.judge", "autograder.checks"]:
    try:
        __import__(name)
        print("{marker}-IMPORTED", name)
    except ImportError:
        pass
print("{marker}-IMPORTED" if any(m.startswith("autograder") for m in sys.modules) else "")
""",
    ),
    Hostile(
        "patches_the_reporter_it_finds",
        "graded",
        5.0,
        update="""
import gc
for found in gc.get_objects():
    if isinstance(found, dict) and "parameter_state" in found and "read_numbers" in found:
        honest = found["parameter_state"]
        def lying(parameter, namespace, honest=honest):
            state = honest(parameter, namespace)
            return type(state)(**{{**vars(state), "still_bound": True}})
        found["parameter_state"] = lying
def update():
    global a
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a = nn.Parameter(a - lr * a.grad)
""",
    ),
    # Starving the machine.
    Hostile(
        "busy_children_in_their_own_sessions",
        "cpu_limit",
        0.0,
        loss=REFERENCE_LOSS
        + """
import os
for _ in range(31):
    if os.fork() == 0:
        os.setsid()
        while True:
            pass
os.wait()
""",
    ),
    Hostile(
        "thread_bomb",
        "graded",
        12.0,
        update=REFERENCE_UPDATE
        + """
import threading, time
for _ in range(1000):
    try:
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    except RuntimeError:
        break
""",
    ),
    Hostile(
        "fills_tmp_and_writes_a_huge_file",
        "graded",
        12.0,
        loss=REFERENCE_LOSS
        + """
for path, megabytes in [("/tmp/fill", 200), ("/dev/shm/fill", 200), ("/var/tmp/fill", 200)]:
    try:
        with open(path, "wb") as stream:
            for _ in range(megabytes):
                stream.write(b"x" * (1 << 20))
    except OSError:
        pass
""",
    ),
    # Files built to make the judge work, or that break readers.
    Hostile("magic_flood", "invalid", 0.0, loss="%time x = 1\n" * 5000 + REFERENCE_LOSS),
    Hostile("null_byte_in_a_cell", "missing_function", 7.0, loss=REFERENCE_LOSS + "\x00\n"),
    Hostile("thousands_of_cells", "invalid", 0.0, edit="thousands_of_cells"),
    Hostile("deeply_nested_json", "invalid", 0.0, file=b"[" * 200_000 + b"]" * 200_000),
    Hostile(
        "huge_integer_in_the_notebook",
        "invalid",
        0.0,
        file=b'{"nbformat": 4, "cells": [], "metadata": {"n": 1' + b"0" * 10_000 + b"}}",
    ),
    Hostile("garbage_nbgrader_metadata", "graded", 12.0, edit="garbage_metadata"),
    # File names: every one gives a distinct, stable id and a valid record path.
    Hostile("not_utf8_name", "graded", 12.0, file_name=b"caf\xe9.ipynb", student="caf\\xe9"),
    Hostile("longest_name", "graded", 12.0, file_name=b"x" * 249 + b".ipynb", student="x" * 249),
    Hostile(
        "formula_name",
        "graded",
        12.0,
        file_name=b'=HYPERLINK("http:evil","x").ipynb',
        student='=HYPERLINK("http:evil","x")',
    ),
    Hostile("plus_formula_name", "graded", 12.0, file_name=b"+1+cmd.ipynb", student="+1+cmd"),
    Hostile(
        "control_characters_in_the_name",
        "graded",
        12.0,
        file_name=b"evil\n\x1b[2Jname.ipynb",
        student="evil\\u000a\\u001b[2Jname",
    ),
    Hostile(
        "composed_name",
        "graded",
        12.0,
        file_name="\u00e9l\u00e8ve.ipynb".encode(),
        student="\u00e9l\u00e8ve",
    ),
    Hostile(
        "decomposed_name",
        "graded",
        12.0,
        file_name="e\u0301le\u0300ve.ipynb".encode(),
        student="e\u0301le\u0300ve",
    ),
]
