"""The student side of the channel: runs a submission's notebook, then answers the judge.

This module runs inside the sandboxed student process. It runs the steps the judge planned
(see `autograder.intake.notebook`): cells in notebook order, through IPython's own shell as a
Jupyter kernel runs them (`shell.StudentShell`), stopping at each graded cell until the judge
has asked that category's questions. It holds no expected values and no checks; its answers
are plain JSON, which the judge trusts no further than the numbers, and verifies against its
own maths. It also reads the lesson itself from the release (`probe`), by running the release's
read-only cells with correct answers and watching the training cell (`watch.LessonWatch`).

What a student sees of a run is what their notebook's cells printed; whatever their code
prints while it answers the judge's hidden questions is thrown away.

Before any student code runs, the kit's own modules are taken out of `sys.modules` (their
source is not inside the sandbox either), so student code cannot import or patch them.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

from autograder.inside.observations import UpdateRun, question_from_json
from autograder.inside.replay import TrainingReplay, compile_ahead
from autograder.inside.reporter import LessonData, Reporter, describe_error
from autograder.inside.shell import MAX_NOTES, StudentShell, working_directory_importable
from autograder.inside.watch import LessonWatch, TrainingWatch
from autograder.sandbox.protocol import ProtocolError, receive_message, send_message

MAX_OUTPUT = 8000  # of what the notebook's cells print, kept for the student's page
PLOTTING = "plt"


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


class _Printed(io.StringIO):
    """What the notebook's cells print, up to `MAX_OUTPUT` characters; the rest is dropped.
    So is whatever reaches it while no cell runs: as a kernel's stream sends output to the
    cell running, a logging handler a cell bound to this stream writes nothing here while the
    student's code answers hidden questions."""

    cell_running = False

    def write(self, text: str) -> int:
        room = MAX_OUTPUT - self.tell()
        if room > 0 and self.cell_running:
            super().write(text[:room])
        return len(text)

    @contextlib.contextmanager
    def during_a_cell(self) -> Iterator[None]:
        self.cell_running = True
        try:
            yield
        finally:
            self.cell_running = False


class NotebookRun:
    """The notebook's steps, run one segment (up to the next graded cell) at a time."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        import matplotlib.pyplot as plt

        plt.show = _show_inline
        self.steps = steps
        self.position = 0
        self.notes: list[str] = []
        self.shell = _fresh_shell(self.notes)
        self.shell.stand_ins = (UNDRAWN,)
        self.namespace = self.shell.user_ns
        working_directory_importable()
        self.printed = _Printed()
        self._sent = 0  # characters of `printed` already reported
        self.training: UpdateRun | None = None
        self._training_unsent = False
        self.lesson_watch: LessonWatch | None = None
        trained = [step for step in steps if step.get("role") == "training"]
        self.replay = (  # every plan holds the release's training cell; a probe's, too
            TrainingReplay(trained[0]["source"], trained[0]["label"]) if trained else None
        )

    def run_to_checkpoint(self, watch_training: bool = True) -> dict[str, Any]:
        """Run cells until the next graded cell; say which it is and what went wrong. The
        training cell's calls of update() are watched when `watch_training`."""
        errors: list[str] = []
        ran = 0
        while self.position < len(self.steps):
            step = self.steps[self.position]
            self.position += 1
            if "checkpoint" in step:
                if self.lesson_watch is not None:
                    self.lesson_watch.reached(step["checkpoint"])
                return self._report(step["checkpoint"], ran, errors)
            ran += 1
            error = self._run(step, watch_training)
            if error and len(errors) < MAX_NOTES:
                errors.append(f"{step['label']}: {error}")
        return self._report(None, ran, errors)

    def run_all(self) -> list[str]:
        """Every cell, graded cells passed over; the cells' errors."""
        errors: list[str] = []
        while True:
            report = self.run_to_checkpoint()
            errors += report["cell_errors"]
            if report["at"] is None:
                return errors

    def _report(self, checkpoint: str | None, ran: int, errors: list[str]) -> dict[str, Any]:
        notes, self.notes[:] = list(self.notes), []
        training = self.training.to_json() if self.training and self._training_unsent else None
        self._training_unsent = False
        printed = self.printed.getvalue()
        output, self._sent = printed[self._sent :], len(printed)
        return {
            "at": checkpoint,
            "ran": ran,
            "cell_errors": errors,
            "notes": notes,
            "training": training,
            "output": output,
        }

    def _run(self, cell: dict[str, Any], watch_training: bool) -> str | None:
        training = cell.get("role") == "training"
        watch = TrainingWatch(self.namespace) if training and watch_training else None
        if training and self.replay is not None:
            self.replay.found(self.namespace)
        try:
            with (
                self.printed.during_a_cell(),
                contextlib.redirect_stdout(self.printed),
                contextlib.redirect_stderr(self.printed),
                watch.watching() if watch else _nothing(),
                self.lesson_watch.watching(cell["label"]) if self.lesson_watch else _nothing(),
                self._undrawn() if cell.get("origin") == "release" else _nothing(),
            ):
                error = self.shell.run(cell["source"], cell["label"])
        except BaseException as raised:  # the shell's own failure, reported as the cell's
            error = raised
        finally:
            sys.stdout.flush()
        if watch is not None:
            failed = describe_error(error) if error is not None else None
            self.training, self._training_unsent = watch.run(failed), True
        if self.shell.exit_now:
            self.shell.exit_now = False
            self.notes.append(
                f"{cell['label']} asked the kernel to exit; grading went on with the next cell"
            )
        return describe_error(error) if error is not None else None

    @contextlib.contextmanager
    def _undrawn(self) -> Iterator[None]:
        """The real pyplot gives way to `UNDRAWN` for one read-only cell, then comes back."""
        import matplotlib.pyplot as plt

        drawing = self.namespace.get(PLOTTING) is plt
        if drawing:
            self.namespace[PLOTTING] = UNDRAWN
        try:
            yield
        finally:
            if drawing and self.namespace.get(PLOTTING) is UNDRAWN:
                self.namespace[PLOTTING] = plt


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


_prepared: list[StudentShell] = []  # made by the fork server, used once by each child
_kit_modules: list[str] = []  # named by the fork server, forgotten by each child


def prepare(cells: Sequence[str] = ()) -> None:
    """Make in the fork server, before any student is forked, what each student process
    starts with: its own copy of a shell that has run nothing but has learned `cells` (the
    release's read-only cells, which every notebook runs) and loaded what IPython loads on
    first use, each of `cells` compiled as the training cell is replayed, and the names of
    the kit's modules it is to forget."""
    shell = StudentShell([])
    shell.learn(cells)
    shell.load_what_ipython_loads_on_first_use()
    compile_ahead(cells)
    _prepared.append(shell)
    _kit_modules[:] = _kit_module_names()


def _fresh_shell(notes: list[str]) -> StudentShell:
    """The prepared shell the first time in a process, else a new one."""
    shell = _prepared.pop() if _prepared else StudentShell(notes)
    shell.grading_notes = notes
    return shell


def _kit_module_names() -> list[str]:
    return [name for name in sys.modules if name.split(".")[0] == "autograder"]


def _forget_the_kit() -> None:
    """Take the kit's modules out of `sys.modules`: student code cannot import them. A
    student process forgets those the fork server named before forking it, which are all
    it has: a kit module cannot be imported inside the sandbox, where its source is not.
    Going through every module's name again would write to each name, and so copy the
    server's pages that hold them (2.5 ms a student, against 0.25 ms)."""
    for name in _kit_modules or _kit_module_names():
        sys.modules.pop(name, None)


class Responder:
    """The judge's requests, answered: "start" the notebook, "continue" to the next graded
    cell, "ask" questions, or "probe" the release for its lesson. Nothing here touches the
    channel, so it can be driven directly."""

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
            lesson = LessonData.from_json(request["lesson"])
            self.student = Reporter(self.run.namespace, lesson, self.run.replay)
            return self.run.run_to_checkpoint()
        if operation == "probe":
            run = NotebookRun(request["steps"])
            run.lesson_watch = LessonWatch(run.namespace, request["training"])
            errors = run.run_all()
            return {**run.lesson_watch.facts(), "cell_errors": errors}
        if self.run is None or self.student is None:
            return None
        if operation == "continue":
            return self.run.run_to_checkpoint(request.get("watch_training") is not False)
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


def answer_one(reply_fd: int) -> None:
    """Answer one request read from standard input, the reply written to `reply_fd`: how an
    nbgrader kernel, which runs the notebook unconfined anyway, reads the lesson."""
    reply = Responder().handle(json.loads(sys.stdin.read()))
    with os.fdopen(reply_fd, "wb") as replies:
        replies.write(json.dumps(reply).encode())
