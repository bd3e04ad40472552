"""Where the slack is: each stage's irreducible cost beside what the kit spends on it.

In one run, on this machine, it measures the floor of every stage in isolation and the kit's
cost for the same stage, and prints the ratio:

  start-up   `import torch` in a fresh interpreter   vs  `check` of one notebook, end to end
  launch     a fork of a warm process (torch loaded)  vs  a process confined by the sandbox that
                                                          replies once, then the `launch` stage
  cells      the lesson's training run in a warm      vs  the whole notebook's code as plain
             process (update() and the loss per           Python (every cell by `exec`), then
             epoch, plain Python)                         the notebook's cells run by the kit's
                                                          own student side in this warm process
                                                          (each from a shell prepared as the
                                                          fork server prepares it), then the
                                                          same in a fresh confined
                                                          student process (the `cells` stage of
                                                          the records)
  questions  the calls the checks make, plain Python  vs  the same two steps for the `questions`
             (the training loop from three starts,        stage: the kit's answers in a warm
             and the loss along training as update()      process, then in the student process
             and as the loss per epoch compute it)
  checks     one pytest test with no plugins, times   vs  the `checks` stage (pytest, the
             the number of hidden checks                  judge's maths, the record)

The middle steps split what the notebook's own code costs from what IPython and the kit add,
and that from what a fresh forked process costs (its first touch of each page it shares with
the fork server, cold caches). The kit's stages
are the medians of the records of a class of correct answers graded by one judge worker
(`grade --workers 1`), which also gives the CPU one submission costs. A `grade` run's start-up
is the CPU, summed over every process it starts, of grading two notebooks (with one worker,
and with two), less those two submissions' own CPU.

Usage: python benchmarks/floor.py [--students 40]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.exercise import release_notebook  # noqa: E402
from autograder.inside.responder import UNDRAWN, prepare  # noqa: E402
from autograder.intake.notebook import Cell, load_release, plan_cells  # noqa: E402
from autograder.judge.reference import reference_for  # noqa: E402
from autograder.judge.runner import run_checks  # noqa: E402
from autograder.sandbox import Limits, Sandbox  # noqa: E402
from benchmarks.descendants import adopt_orphans, children_cpu, reap_orphans  # noqa: E402
from tests.corpus.answers import CORRECT  # noqa: E402
from tests.support.inprocess import SEED, AnswerInProcess  # noqa: E402
from tests.support.lesson import lesson_in_process, shipped_reference  # noqa: E402
from tests.support.notebooks import notebook_for  # noqa: E402

FORKS = 200
LAUNCHES = 50
EMPTY_ENTRY = "tests.support.sandbox_targets:serve"


def timed_command(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall, CPU of the command and everything it started) of one command."""
    cpu, started = children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    reap_orphans()
    return wall, children_cpu() - cpu


def best(function, repeat: int = 5) -> float:
    """The fastest of a few runs, in seconds: the floor, not the noise."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def fork_of_a_warm_process() -> float:
    """Mean seconds to fork a process that imported torch, and reap the child."""
    import torch  # noqa: F401

    started = time.perf_counter()
    for _ in range(FORKS):
        child = os.fork()
        if child == 0:
            os._exit(0)
        os.waitpid(child, 0)
    return (time.perf_counter() - started) / FORKS


def confined_child_replying_once() -> float:
    """Mean seconds to launch a process, wait for its first reply, and finish it: the reply
    comes once it has confined itself (namespaces, allow-list root, cgroups, seccomp), so
    this is the launch stage with nothing of the kit's student side in it."""
    with Sandbox(Limits(), [], entry=EMPTY_ENTRY, huge_pages=True) as sandbox:
        sandbox.started()
        started = time.perf_counter()
        for _ in range(LAUNCHES):
            process = sandbox.launch({})
            process.request({"behaviour": "payload"}, timeout=60)
            process.finish()
        return (time.perf_counter() - started) / LAUNCHES


LESSON_WORK = """
import torch
from torch import nn
torch.set_num_threads(1)
{data}
lr = {lr!r}
def mean_squared_error(y, y_guess):
    return ((y_guess - y) ** 2).mean()
def update():
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
def training(start):
    global a
    a = nn.Parameter(torch.tensor(start))
    losses = []
    for _ in range({epochs}):
        update()
        with torch.no_grad():
            losses.append(mean_squared_error(y, x @ a).item())
def run(start):
    global a
    a = nn.Parameter(torch.tensor(start))
    losses = []
    for _ in range({epochs}):
        update()
        a.detach().tolist(), a.grad.tolist()
        with torch.no_grad():
            losses.append(mean_squared_error(y, x @ a).item())
def losses_along(path):
    for position in path:
        p = nn.Parameter(torch.tensor(position))
        mean_squared_error(y, x @ p).backward()
    with torch.no_grad():
        for position in path:
            p = nn.Parameter(torch.tensor(position))
            mean_squared_error(y, x @ p).item()
"""


def lesson_floors() -> tuple[float, float]:
    """(the training run, the checks' calls) of the shipped lesson, in a warm process."""
    reference = shipped_reference()
    data = f"x = torch.tensor({list(map(list, reference.lesson.x))})\n"
    data += f"y = torch.tensor({list(reference.lesson.y)})"
    namespace: dict = {}
    exec(
        LESSON_WORK.format(data=data, lr=reference.lr, epochs=reference.epochs),
        namespace,
    )
    start = list(reference.lesson.first_guess)
    namespace["training"](start)  # warm
    training = best(lambda: namespace["training"](start))
    path = [list(position) for position in reference.training_path]

    def questions() -> None:
        for each in (start, path[len(path) // 2], path[-1]):
            namespace["run"](list(each))
        namespace["losses_along"](path)

    return training, best(questions)


def notebook_as_plain_python() -> float:
    """A correct notebook's cells in a warm process with neither IPython nor the kit: each
    cell's code, transformed as IPython would beforehand, run by `exec` in one namespace in
    the order the kit runs them (graded cells passed over), the release's cells drawing
    nothing, as in the kit. What the notebook itself costs, every cell of it."""
    import matplotlib.pyplot as pyplot
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    release = release_notebook()
    notebook = json.loads(nbformat.writes(notebook_for(CORRECT[0])))
    steps = plan_cells(notebook, load_release(release)).steps
    transform = TransformerManager().transform_cell
    cells = [
        (compile(transform(step.source), step.label, "exec"), step.origin == "release")
        for step in steps
        if isinstance(step, Cell)
    ]

    def run() -> None:
        namespace: dict = {}
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for code, undrawn in cells:
                drawing = undrawn and namespace.get("plt") is pyplot
                if drawing:
                    namespace["plt"] = UNDRAWN
                exec(code, namespace)
                if drawing:
                    namespace["plt"] = pyplot

    with tempfile.TemporaryDirectory() as folder, contextlib.chdir(folder):
        run()  # warm
        return best(run)


def kit_in_a_warm_process(students: int) -> tuple[float, float]:
    """(cells, questions): medians over `students` correct answers graded by the kit's own
    student side and checks in this process, which stays warm from one answer to the next.
    Each answer starts from a shell prepared beforehand, as a fork server prepares the shell
    every student process starts with."""
    release = release_notebook()
    lesson = lesson_in_process(release)
    cells = load_release(release).read_only_sources
    for _ in range(students + 1):
        prepare(cells)
    answers = [  # the checks tell subjects apart by name
        replace(CORRECT[number % len(CORRECT)], name=f"s{number:03d}") for number in range(students)
    ]
    warm_up = AnswerInProcess(CORRECT[0], lesson, SEED, release)  # imports and first calls
    run_checks([warm_up], reference_for(lesson))
    subjects = [AnswerInProcess(answer, lesson, SEED, release) for answer in answers]
    run_checks(subjects, reference_for(lesson))
    sessions = [subject.student for subject in subjects if subject.student is not None]
    return (
        statistics.median(session.cell_seconds for session in sessions),
        statistics.median(session.question_seconds for session in sessions),
    )


class _PerTest:
    """Times pytest's whole protocol (set-up, call, report, tear-down) around each test."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    @staticmethod
    def _now() -> float:
        return time.perf_counter()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):  # noqa: ANN001 - pytest's hook
        started = self._now()
        yield
        self.seconds.append(self._now() - started)


def one_plain_pytest_test(checks: int) -> float:
    """Seconds pytest's own machinery takes for `checks` trivial tests, plugins off."""
    with tempfile.TemporaryDirectory() as folder:
        tests = Path(folder) / "test_floor.py"
        tests.write_text(
            "".join(f"def test_{number}():\n    assert True\n" for number in range(checks))
        )
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        timings = []
        for _ in range(5):
            timer = _PerTest()
            pytest.main([str(tests), "-p", "no:cacheprovider", "-p", "no:terminal"], [timer])
            timings.append(sum(timer.seconds))
        return min(timings)


def kit_stages(
    students: int, folder: Path
) -> tuple[dict[str, float], float, float, dict[int, float]]:
    """(median seconds per stage, CPU per submission, wall of `check`, CPU of a `grade` run's
    start-up with 1 and 2 workers) from real runs."""
    import nbformat

    klass = folder / "class"
    klass.mkdir()
    for number in range(students):
        answer = CORRECT[number % len(CORRECT)]
        nbformat.write(notebook_for(answer), klass / f"s{number:03d}.ipynb")
    grade = [sys.executable, "-m", "autograder", "grade", str(klass), "--workers", "1"]
    few = folder / "few"
    few.mkdir()
    for number in range(2):
        nbformat.write(notebook_for(CORRECT[0]), few / f"s{number}.ipynb")
    few_cpu = {
        workers: timed_command(
            [*grade[:4], str(few), "--workers", str(workers), "--out", str(folder / f"o{workers}")],
            ROOT,
        )[1]
        for workers in (1, 2)
    }
    _, class_cpu = timed_command([*grade, "--out", str(folder / "class-out")], ROOT)
    per_submission = (class_cpu - few_cpu[1]) / (students - 2)
    start_up = {workers: cpu - 2 * per_submission for workers, cpu in few_cpu.items()}
    records = [
        json.loads(path.read_text()) for path in (folder / "class-out" / "records").glob("*.json")
    ]
    stages = {
        stage: statistics.median(record["timings"][stage] for record in records)
        for stage in ("launch", "cells", "questions", "checks", "page")
    }
    check = [sys.executable, "-m", "autograder", "check", str(klass / "s000.ipynb")]
    check_wall = min(timed_command(check, ROOT)[0] for _ in range(3))
    return stages, per_submission, check_wall, start_up


def row(stage: str, floor_label: str, floor: float, kit_label: str, kit: float) -> str:
    return (
        f"{stage:<10} {floor_label:<40} {floor * 1000:9.1f} ms   {kit_label:<34} "
        f"{kit * 1000:9.1f} ms   {kit / floor:6.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    students = parser.parse_args().students
    adopt_orphans()
    torch_runs = [timed_command([sys.executable, "-c", "import torch"], ROOT) for _ in range(3)]
    torch_wall, torch_cpu = min(wall for wall, _ in torch_runs), min(cpu for _, cpu in torch_runs)
    fork = fork_of_a_warm_process()
    confined = confined_child_replying_once()
    training, questions = lesson_floors()
    notebook = notebook_as_plain_python()
    warm_cells, warm_questions = kit_in_a_warm_process(students)
    checks_floor = one_plain_pytest_test(11)
    with tempfile.TemporaryDirectory(prefix="floor-") as scratch:
        stages, per_submission, check_wall, start_up = kit_stages(students, Path(scratch))
    print(f"machine: {os.cpu_count()} cores; {students} correct answers graded by one worker")
    print(f"{'stage':<10} {'floor':<53} {'kit':<47} ratio")
    lines = [
        ("start-up", "import torch, fresh interpreter", torch_wall, "check, command to summary",
         check_wall),
        ("launch", "fork of a warm process", fork, "confined child, one reply", confined),
        ("", "confined child, one reply", confined, "launch stage", stages["launch"]),
        ("cells", "training run, warm process", training, "the notebook, plain Python",
         notebook),
        ("", "the notebook, plain Python", notebook, "kit's cells, warm process", warm_cells),
        ("", "kit's cells, warm process", warm_cells, "cells stage", stages["cells"]),
        ("questions", "the checks' calls, warm process", questions, "kit's answers, warm process",
         warm_questions),
        ("", "kit's answers, warm process", warm_questions, "questions stage",
         stages["questions"]),
        ("checks", "11 pytest tests, no plugins", checks_floor, "checks stage", stages["checks"]),
    ]  # fmt: skip
    for line in lines:
        print(row(*line))
    print(
        f"page stage {stages['page'] * 1000:.1f} ms; CPU per submission "
        f"{per_submission * 1000:.0f} ms"
    )
    print(
        f"grade start-up, CPU summed over its processes (two notebooks' run, less their own "
        f"CPU): {start_up[1]:.2f} s with one worker, {start_up[2]:.2f} s with two; "
        f"import torch {torch_cpu:.2f} s of CPU"
    )


if __name__ == "__main__":
    main()
