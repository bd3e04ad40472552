"""What an nbgrader grade cell calls: the hidden checks against the notebook's own functions.

The cell's last expression is the points earned, which nbgrader reads as partial credit. The
graded cell is where the notebook stands, so the checks ask their questions right there, with
hidden inputs drawn afresh, on the lesson read from the course's release (found above the
folder nbgrader runs the kernel in). Student prints and warnings are kept out of the cell's
stderr, which nbgrader would otherwise count as a failure.

`update()` is asked by replaying the training cell with what it found when the kernel ran it,
as in the sandbox: the first graded cell leaves a hook in the kernel (`TrainingSeen`) that
notes the namespace and warning filters just before the release's training cell runs, so a
name deleted or a filter changed after training changes nothing, as it changed nothing there.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autograder.exercise import TRAINING_CELL, graded_cell, release_above
from autograder.inside.observations import Answer, Question
from autograder.inside.replay import TrainingReplay
from autograder.inside.reporter import LessonData, Reporter
from autograder.intake.notebook import ReleaseCell, load_release
from autograder.judge.fault import GraderFault
from autograder.judge.lesson_reading import read_lesson_unconfined
from autograder.judge.reference import reference_for
from autograder.judge.results import as_table, total
from autograder.judge.runner import run_checks
from autograder.judge.seeds import new_seed
from autograder.lesson import Lesson


class NamespaceSession:
    """The running kernel's globals as a session: already at the graded cell."""

    state = 0
    training = None

    def __init__(
        self, namespace: MutableMapping[str, Any], lesson: Lesson, training: TrainingReplay
    ) -> None:
        data = LessonData.from_json(lesson.for_student())
        self.student = Reporter(namespace, data, training)

    def reach(self, category: str, watch_training: bool = True) -> None:
        """The kernel has already run every cell above the graded cell."""

    def ask(self, questions: list[Question]) -> list[Answer]:
        return [self.student.answer(question) for question in questions]


class NotebookNamespace:
    """The running notebook's globals as a subject for the checks."""

    id = "notebook"

    def __init__(
        self, namespace: MutableMapping[str, Any], lesson: Lesson, training: TrainingReplay
    ) -> None:
        self.namespace = namespace
        self.lesson = lesson
        self.training = training
        self.seed = new_seed()

    @contextmanager
    def open(self) -> Iterator[NamespaceSession]:
        yield NamespaceSession(self.namespace, self.lesson, self.training)


class TrainingSeen:
    """An IPython `pre_run_cell` hook: just before the kernel runs the release's training cell
    (nbgrader restores a read-only cell to the release's source), the replay notes what the
    cell finds. The hook lives in the kernel's own list of hooks, so a kernel holds one."""

    def __init__(self, training: ReleaseCell, namespace: MutableMapping[str, Any]) -> None:
        self.source = training.source
        self.namespace = namespace
        self.replay = TrainingReplay(training.source, training.label)

    def __call__(self, info: Any) -> None:
        if getattr(info, "raw_cell", None) == self.source:
            self.replay.found(self.namespace)


def training_replay(training: ReleaseCell, namespace: MutableMapping[str, Any]) -> TrainingReplay:
    """The training cell to replay: in the kernel whose namespace this is, the one its hook
    watches (left there by the first graded cell); elsewhere one that has seen nothing."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or shell.user_ns is not namespace:
        return TrainingReplay(training.source, training.label)
    hooks = shell.events.callbacks["pre_run_cell"]
    for hook in hooks:
        if isinstance(hook, TrainingSeen) and hook.source == training.source:
            return hook.replay
    seen = TrainingSeen(training, namespace)
    shell.events.register("pre_run_cell", seen)
    return seen.replay


def score(category: str, namespace: MutableMapping[str, Any]) -> float:
    """Run one category's checks, print the results, and return the points earned."""
    release_path = release_above(Path.cwd())
    lesson = read_lesson_unconfined(release_path)
    release = load_release(release_path)
    training = release.cell(TRAINING_CELL)
    if training is None:
        raise GraderFault(f"{release_path} has no training cell")
    replay = training_replay(training, namespace)
    graded = release.cell(graded_cell(category))
    if replay.names_then is None and graded is not None and training.index < graded.index:
        print(
            "The training cell was not seen to run before this cell, so update() is asked with "
            "the names and warning filters as they stand here."
        )
    subject = NotebookNamespace(namespace, lesson, replay)
    report = run_checks([subject], reference_for(lesson), [category])["notebook"]
    print(as_table(report.results))
    return total(report.results)[0]
