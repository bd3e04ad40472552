"""Reading the lesson from the instructor's release, and refusing one that cannot be graded.

The release's read-only cells are run, as grading runs them, with correct answers in its answer
cells (`STAND_INS`); the training cell is watched as it calls `update()` (see
`autograder.inside.watch.LessonWatch`). What it works with at its first call is the lesson:
`x`, `y`, the first guess `a`, `lr`, and the number of calls. It runs in a confined process of
the sandbox that grades (`read_lesson`), or, for nbgrader's graded cells, in a plain subprocess
(`read_lesson_unconfined`), since nbgrader runs the notebook unconfined anyway.

Every way the notebook can make the exercise ill-posed is refused here, before any student is
graded, in one sentence that names the cell and the value (`IllPosedLesson`): a graded cell or
an answer cell missing, a training cell that never calls `update()`, `x`, `y`, `a` or `lr`
missing or of the wrong kind or shape, a read-only cell that fails with correct answers, and
training that diverges or does not reach the least-squares fit in the given number of epochs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from autograder.exercise import ANSWER_CELLS, CATEGORIES, TRAINING_CELL, graded_cell
from autograder.intake.notebook import Release, load_release, plan_release
from autograder.judge.well_posed import refuse_ill_posed
from autograder.lesson import (
    DTYPES,
    MAX_EPOCHS,
    MAX_POINTS,
    IllPosedLesson,
    Lesson,
    LessonCells,
    names_for_training,
)
from autograder.sandbox import Limits, Sandbox, SandboxError
from autograder.sandbox.protocol import ProtocolError
from autograder.text import printable

# Correct answers, as code: what the release's read-only cells run with while the lesson is read.
STAND_INS = {
    "mean_squared_error": (
        "def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).mean()\n"
    ),
    "update": (
        "def update():\n"
        "    loss = mean_squared_error(y, x @ a)\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        a.sub_(lr * a.grad)\n"
        "        a.grad.zero_()\n"
    ),
}
_PROBE_SECONDS = 120.0
_MIN_SPAN = 1e-9  # x values closer together than this do not make a line


def probe_request(release: Release) -> dict[str, Any]:
    """What a student process is asked to run to read the lesson, once the release's own
    structure is known to be gradable."""
    training = release.cell(TRAINING_CELL)
    for category in CATEGORIES:
        cell = release.cell(graded_cell(category))
        if cell is None or cell.kind != "graded":
            raise IllPosedLesson(
                f"the release has no graded cell for {category} (a code cell with grade id "
                f"{graded_cell(category)!r} and points), so {category} cannot be graded"
            )
    for name in ANSWER_CELLS:
        cell = release.cell(name)
        if cell is None or cell.kind != "answer":
            raise IllPosedLesson(
                f"the release has no answer cell {name!r} (a solution cell with that grade id) "
                "for students to fill in"
            )
    if training is None or training.kind != "locked":
        raise IllPosedLesson(
            f"the release has no read-only cell with grade id {TRAINING_CELL!r}: the cell that "
            "calls update() once per epoch"
        )
    steps = plan_release(release, STAND_INS)
    return {"op": "probe", "steps": [step.to_json() for step in steps], "training": training.label}


def read_lesson(sandbox: Sandbox, release: Release) -> Lesson:
    """The lesson of `release`, read in a confined process of `sandbox`, once per release."""
    if release.hash not in _read:
        request = probe_request(release)
        process = sandbox.launch({})
        try:
            reply = process.request(request, timeout=_PROBE_SECONDS)
        except ProtocolError as error:
            outcome = process.finish()
            if outcome.stopped_at_a_limit:
                why = _stopped(sandbox.limits)
            elif (failure := outcome.setup_failure()) is not None:
                why = f"the sandbox could not set its process up: {printable(failure, 300)}"
            else:
                why = str(error)
            raise SandboxError(f"reading the lesson from the release failed ({why})") from None
        finally:
            process.finish()
        _read[release.hash] = lesson_from_facts(release, reply)
    return _read[release.hash]


_read: dict[str, Lesson] = {}


def _stopped(limits: Limits) -> str:
    """Why the process reading the lesson ended, when a limit stopped it: it runs under the
    limits every student gets, so an instructor can tell a busy machine or a short
    `--timeout` from a broken sandbox."""
    return (
        "the process running the release's read-only cells was stopped at the limits every "
        f"student gets, {limits.cpu_seconds:g} s of CPU time or {limits.wall_seconds:g} s on "
        "the clock, not counting time spent waiting for a CPU: the lesson's own cells need "
        "more than that, or the machine is too busy for this --timeout"
    )


def read_lesson_unconfined(release_path: Path) -> Lesson:
    """The lesson of the release at `release_path`, read in a plain subprocess."""
    release = load_release(release_path)
    if release.hash not in _read:
        request = probe_request(release)
        reading, writing = os.pipe()
        try:
            child = subprocess.Popen(
                [sys.executable, "-c", f"{_ANSWER_ONE}({writing})"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(writing,),
            )
            os.close(writing)
            writing = -1
            child.communicate(json.dumps(request).encode(), timeout=_PROBE_SECONDS)
            with os.fdopen(reading, "rb") as replies:
                reading = -1
                reply = json.loads(replies.read() or b"null")
        finally:
            for end in (reading, writing):
                if end >= 0:
                    os.close(end)
        if not isinstance(reply, dict):
            raise IllPosedLesson("reading the lesson from the release failed: no reply came back")
        _read[release.hash] = lesson_from_facts(release, reply)
    return _read[release.hash]


_ANSWER_ONE = "from autograder.inside.responder import answer_one; answer_one"


def lesson_from_facts(release: Release, facts: dict[str, Any]) -> Lesson:
    """The lesson the probe saw, or `IllPosedLesson` saying what makes it ungradable."""
    training_label = release.cell(TRAINING_CELL).label  # type: ignore[union-attr]
    training = release.named(training_label)
    errors = [str(error).partition(": ") for error in facts.get("cell_errors") or []]
    if not facts.get("calls"):
        failed = [
            f" (then it fails: {error})" for label, _, error in errors if label == training_label
        ]
        raise IllPosedLesson(
            f"{training} never calls update(), so there is no training to judge"
            + "".join(failed[:1])
        )
    calls = int(facts["calls"])
    if calls > MAX_EPOCHS:
        raise IllPosedLesson(
            f"{training} calls update() {calls} times; the kit judges every call, and at most "
            f"{MAX_EPOCHS} per run"
        )
    changed = facts.get("changed") or {}
    if changed:
        name, call = next(iter(changed.items()))
        raise IllPosedLesson(
            f"{training}: {name} at call {call} of update() is not what it was at the first; "
            f"the kit judges every call against one lesson, so {name} must stay the same "
            "while training runs"
        )
    first = facts.get("first_call") or {}
    bound_by = facts.get("bound_by") or {}
    data_cell = release.named(str(bound_by.get("x") or training))
    x = _tensor(first.get("x"), "x", data_cell, dims=2)
    y = _tensor(first.get("y"), "y", release.named(str(bound_by.get("y") or training)), dims=1)
    a = _tensor(first.get("a"), "a", training, dims=1)
    lr_cell = release.named(str(bound_by.get("lr") or training))
    lr = _learning_rate(first.get("lr"), lr_cell)
    n = len(y["values"])
    if x["shape"] != [n, 2]:
        raise IllPosedLesson(
            f"{data_cell}: x has shape {tuple(x['shape'])}; it must hold one row of two numbers "
            f"(the input and a 1) for each of the {n} values of y"
        )
    if not 2 <= n <= MAX_POINTS:
        raise IllPosedLesson(f"{data_cell}: y has {n} points; the kit grades 2 to {MAX_POINTS}")
    rows = [tuple(x["values"][2 * i : 2 * i + 2]) for i in range(n)]
    if any(row[1] != 1.0 for row in rows):
        raise IllPosedLesson(
            f"{data_cell}: the second column of x must be all ones, so that x @ a is a·x + b"
        )
    inputs = [row[0] for row in rows]
    if max(inputs) - min(inputs) < _MIN_SPAN:
        raise IllPosedLesson(f"{data_cell}: every point has the same x, so no line fits them")
    if len(a["values"]) != 2 or not a["is_parameter"]:
        raise IllPosedLesson(
            f"{training}: at the first call of update() a must be an nn.Parameter of two "
            f"numbers, not a {a['kind']} of {len(a['values'])}"
        )
    dtypes = {x["dtype"], y["dtype"], a["dtype"]}
    if len(dtypes) != 1 or not dtypes <= set(DTYPES):
        raise IllPosedLesson(
            f"{data_cell}: x, y and a must share one dtype, float32 or float64, not "
            f"{', '.join(sorted(str(d) for d in dtypes))}"
        )
    if facts.get("failure"):
        raise IllPosedLesson(
            f"{training}: update() fails even with correct answers ({facts['failure']})"
        )
    for label, _, error in errors[:1]:
        raise IllPosedLesson(
            f"{release.named(label)} fails even with correct answers ({error}); fix it in the "
            "source notebook and regenerate the release"
        )
    lesson = Lesson(
        x=tuple(rows),  # type: ignore[arg-type]
        y=tuple(y["values"]),
        first_guess=tuple(a["values"]),  # type: ignore[arg-type]
        lr=lr,
        epochs=calls,
        dtype=dtypes.pop(),
        cells=LessonCells(data=data_cell, learning_rate=lr_cell, training=training),
        release_hash=release.hash,
        names_for_training=_names_for_training(facts.get("names_for_training"), training),
    )
    refuse_ill_posed(lesson)
    return lesson


def _names_for_training(raw: Any, training: str) -> tuple[tuple[str, Any], ...]:
    """The values the probe saw set before training, or `IllPosedLesson` naming the cell."""
    try:
        return names_for_training(raw or {})
    except ValueError as error:
        raise IllPosedLesson(f"{training}: {error}") from None


def _tensor(raw: Any, name: str, cell: str, dims: int) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("kind") == "missing":
        raise IllPosedLesson(f"{cell}: there is no {name} when training calls update()")
    if raw.get("kind") != "tensor" and not raw.get("is_parameter"):
        raise IllPosedLesson(f"{cell}: {name} must be a torch tensor, not a {raw.get('kind')}")
    values, shape = raw.get("values"), raw.get("shape")
    if not isinstance(values, list) or not isinstance(shape, list):
        problem = raw.get("problem") or "its values cannot be read"
        raise IllPosedLesson(f"{cell}: {name} cannot be used ({problem})")
    if len(shape) != dims:
        raise IllPosedLesson(
            f"{cell}: {name} has shape {tuple(shape)}; it must have {dims} dimension"
            + ("s" if dims > 1 else "")
        )
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
        raise IllPosedLesson(f"{cell}: {name} holds values that are not finite numbers")
    return raw


def _learning_rate(raw: Any, cell: str) -> float:
    if not isinstance(raw, dict) or raw.get("kind") == "missing":
        raise IllPosedLesson(f"{cell}: there is no lr when training calls update()")
    values = raw.get("values")
    if raw.get("kind") != "number" or not isinstance(values, list) or len(values) != 1:
        raise IllPosedLesson(f"{cell}: lr must be a Python number, not a {raw.get('kind')}")
    lr = float(values[0])
    if not math.isfinite(lr) or lr <= 0:
        raise IllPosedLesson(f"{cell}: lr = {lr:g} is not a positive finite number")
    return lr
