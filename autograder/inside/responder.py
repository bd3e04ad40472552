"""The student side of the channel: runs a submission's notebook, then answers the judge.

This module runs inside the sandboxed student process. It runs the steps the judge planned
(see `autograder.intake.notebook`): cells in notebook order, as a Jupyter kernel would,
stopping at each graded cell until the judge has asked that category's questions. It holds no
expected values and no checks; its answers are plain JSON, which the judge trusts no further
than the numbers, and verifies against its own maths.

Before any student code runs, the kit's own modules are taken out of `sys.modules` (their
source is not inside the sandbox either), so student code cannot import or patch them.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import socket
import sys
import time
from collections.abc import Iterator
from types import CodeType
from typing import Any

import torch

from autograder import exercise
from autograder.inside.observations import ParameterState, UpdateRun, question_from_json
from autograder.inside.reporter import Reporter, describe_error, parameter_state
from autograder.sandbox.protocol import ProtocolError, receive_message, send_message

_MAX_NOTES = 20


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
            self._note(f"%{name} {line} was not run while grading")

    def run_cell_magic(self, name: str, line: str, cell: str) -> None:
        if name in self._RUNS_ITS_CODE:
            exec(compile(cell, "<cell magic>", "exec"), self.namespace)
        else:
            self._note(f"%%{name} cell was not run while grading")

    def system(self, command: str) -> None:
        self._note(f"shell command !{command} was not run while grading")

    def getoutput(self, command: str, split: bool = True) -> list[str]:
        self.system(command)
        return []

    def _note(self, text: str) -> None:
        if len(self.notes) < _MAX_NOTES:
            self.notes.append(text[:300])


def _compiled(source: str, label: str) -> CodeType:
    """A cell as code. Plain Python compiles as it is (IPython's transformation leaves it
    unchanged, and costs more than running most cells); a cell with IPython syntax (magics,
    shell escapes, indentation, prompts) is transformed into Python calling the shell first."""
    try:
        return compile(source, label, "exec")
    except (SyntaxError, ValueError):
        from IPython.core.inputtransformer2 import TransformerManager

        return compile(TransformerManager().transform_cell(source), label, "exec")


class _UndrawnFigures:
    """What `plt` is while the release's read-only cells run: every drawing call returns this
    object again and draws nothing. Figures are never graded, and drawing the release's four
    figures would be most of a notebook's run; the student's own cells draw for real."""

    def __getattr__(self, name: str) -> _UndrawnFigures:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _UndrawnFigures:
        return self

    def __iter__(self) -> Iterator[_UndrawnFigures]:
        return iter((self, self))  # `figure, axes = plt.subplots()`

    def __getitem__(self, key: Any) -> _UndrawnFigures:
        return self


UNDRAWN = _UndrawnFigures()


def _show_inline(*args: Any, **kwargs: Any) -> None:
    """`plt.show()` as Jupyter's inline backend does it: the figures are shown, then closed."""
    import matplotlib.pyplot as plt

    plt.close("all")


class NotebookRun:
    """The notebook's steps, run one segment (up to the next graded cell) at a time."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        import matplotlib.pyplot as plt
        from IPython.display import display

        plt.show = _show_inline
        self.steps = steps
        self.position = 0
        self.notes: list[str] = []
        self.namespace: dict[str, Any] = {
            "__name__": "__main__",
            "__builtins__": builtins,
            "display": display,
        }
        shell = GradingShell(self.namespace, self.notes)
        self.namespace["get_ipython"] = lambda: shell
        self.training: UpdateRun | None = None
        self._training_unsent = False
        self._training_bindings: tuple[Any, ...] | None = None  # what training ran with

    def run_to_checkpoint(self) -> dict[str, Any]:
        """Run cells until the next graded cell; say which it is and what went wrong."""
        errors: list[str] = []
        ran = 0
        while self.position < len(self.steps):
            step = self.steps[self.position]
            self.position += 1
            if "checkpoint" in step:
                return self._report(step["checkpoint"], ran, errors)
            ran += 1
            error = self._run(step)
            if error and len(errors) < _MAX_NOTES:
                errors.append(f"{step['label']}: {error}")
        return self._report(None, ran, errors)

    def _report(self, checkpoint: str | None, ran: int, errors: list[str]) -> dict[str, Any]:
        notes, self.notes[:] = list(self.notes), []
        training = self.training.to_json() if self.training and self._training_unsent else None
        self._training_unsent = False
        return {
            "at": checkpoint,
            "ran": ran,
            "cell_errors": errors,
            "notes": notes,
            "training": training,
            "training_current": self._training_bindings == self._bindings(),
        }

    def _bindings(self) -> tuple[Any, ...]:
        """What the notebook's training ran with: the same objects mean the same training."""
        names = ("update", "mean_squared_error", "x", "y", "a")
        return (*(id(self.namespace.get(name)) for name in names), self.namespace.get("lr"))

    def _run(self, cell: dict[str, Any]) -> str | None:
        try:
            code = _compiled(cell["source"], f"<{cell['label']}>")
        except BaseException as error:
            return f"the cell cannot be run as Python ({describe_error(error)})"
        try:
            if cell.get("origin") == "student":
                self._training_bindings = None  # a student cell may have changed anything
            with (
                self._recording_training() if cell.get("role") == "training" else _nothing(),
                self._undrawn() if cell.get("origin") == "release" else _nothing(),
            ):
                exec(code, self.namespace)
        except BaseException as error:  # as in a kernel: SystemExit fails the cell, no more
            return describe_error(error)
        finally:
            sys.stdout.flush()
        return None

    @contextlib.contextmanager
    def _undrawn(self) -> Iterator[None]:
        """The real pyplot gives way to `UNDRAWN` for one read-only cell, then comes back."""
        import matplotlib.pyplot as plt

        drawing = self.namespace.get("plt") is plt
        if drawing:
            self.namespace["plt"] = UNDRAWN
        try:
            yield
        finally:
            if drawing and self.namespace.get("plt") is UNDRAWN:
                self.namespace["plt"] = plt

    @contextlib.contextmanager
    def _recording_training(self) -> Iterator[None]:
        """Watch each call of `update()` the training cell makes, with the student's own
        loss: what the student saw happen when their notebook trained."""
        original = self.namespace.get("update")
        if not callable(original):
            yield
            return
        states: list[ParameterState] = []
        start: list[float] = []
        failure: list[str] = []

        on_the_lesson = [True]

        @functools.wraps(original)
        def update(*args: Any, **kwargs: Any) -> Any:
            watched = self.namespace.get("a")
            if not states and not start:
                start.extend(parameter_state(watched, self.namespace).values or [])
            on_the_lesson[0] = on_the_lesson[0] and self._on_the_lesson()
            try:
                result = original(*args, **kwargs)
            except BaseException as error:
                failure.append(describe_error(error))
                raise
            states.append(parameter_state(watched, self.namespace))
            return result

        self.namespace["update"] = update
        try:
            yield
        finally:
            if self.namespace.get("update") is update:
                self.namespace["update"] = original
            calls = len(states) + (1 if failure else 0)
            self.training = UpdateRun(start, calls, states, failure[0] if failure else None)
            self._training_unsent = True
            self._training_bindings = self._bindings() if on_the_lesson[0] else None

    def _on_the_lesson(self) -> bool:
        """Whether `update()` is about to run on the lesson's own data and learning rate, as
        the judge's questions make it: only then may its training stand for their answer."""
        lesson_x, lesson_y = _lesson_data()
        x, y = self.namespace.get("x"), self.namespace.get("y")
        try:
            return (
                self.namespace.get("lr") == exercise.LEARNING_RATE
                and type(x) is torch.Tensor
                and type(y) is torch.Tensor
                and torch.equal(x, lesson_x)
                and torch.equal(y, lesson_y)
            )
        except Exception:
            return False


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@functools.cache
def _lesson_data() -> tuple[torch.Tensor, torch.Tensor]:
    return exercise.make_data()


def _forget_the_kit() -> None:
    """Take the kit's modules out of `sys.modules`: student code cannot import them."""
    for name in [name for name in sys.modules if name.split(".")[0] == "autograder"]:
        del sys.modules[name]


class Responder:
    """The judge's requests, answered: "start" the notebook, "continue" to the next graded
    cell, "ask" questions. Nothing here touches the channel, so it can be driven directly."""

    def __init__(self) -> None:
        self.run: NotebookRun | None = None
        self.student: Reporter | None = None

    def handle(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The reply to `request`, or None when the judge is done; every reply says how long
        it took to make (the judge's timings of where grading spends its time)."""
        started = time.perf_counter()
        reply = self._reply(request)
        if reply is not None:
            reply["seconds"] = time.perf_counter() - started
        return reply

    def _reply(self, request: dict[str, Any]) -> dict[str, Any] | None:
        operation = request.get("op")
        if operation == "start":
            self.run = NotebookRun(request["steps"])
            self.student = Reporter(self.run.namespace)
            return self.run.run_to_checkpoint()
        if self.run is None or self.student is None:
            return None
        if operation == "continue":
            return self.run.run_to_checkpoint()
        if operation == "ask":
            questions = [question_from_json(raw) for raw in request["questions"]]
            answers = [self.student.answer(question).to_json() for question in questions]
            return {"id": request["id"], "answers": answers}
        return None


def serve(sock: socket.socket, payload: dict[str, Any]) -> None:
    """Answer the judge's requests until it hangs up.

    `payload` is the sandbox's launch data; grading sends everything over `sock` instead, so
    that no student's code ever passes through the fork server's memory.
    """
    _forget_the_kit()
    responder = Responder()
    while True:
        try:
            request = receive_message(sock)
        except ProtocolError:
            return
        reply = responder.handle(request)
        if reply is None:
            return
        try:
            send_message(sock, reply)
        except ProtocolError as error:  # too large to send: say so instead of dying
            send_message(sock, {"id": reply.get("id"), "error": str(error)})
