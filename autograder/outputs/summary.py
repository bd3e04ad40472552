"""What a grader sees in the terminal (or a log): progress while grading, a summary at the end.

On a terminal, progress is a bar; when the output goes to a file or a pipe (CI, `nohup`), it is
a plain line every few seconds. The summary counts the statuses, names every student who was
not graded normally with the reason, lists the files that were skipped, and ends with where
everything was written. Student text is printed as text (no markup, no control characters).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder.batch.grading import BatchRun
from autograder.outputs.class_summary import ClassSummary
from autograder.text import one_line

LOG_EVERY_SECONDS = 10.0


@contextmanager
def progress(total: int, what: str = "grading") -> Iterator[Callable[[int], None]]:
    """A callback to report `done` more submissions; a bar on a terminal, lines in a log."""
    console = Console(stderr=True)
    if console.is_terminal:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar:
            task = bar.add_task(what, total=total)
            yield lambda done: bar.advance(task, done)
        return
    started = time.monotonic()
    state = {"done": 0, "said": started}

    def advance(done: int) -> None:
        state["done"] += done
        now = time.monotonic()
        if now - state["said"] >= LOG_EVERY_SECONDS or state["done"] == total:
            state["said"] = now
            share = 100 * state["done"] / total if total else 100
            print(
                f"{what}: {state['done']} of {total} ({share:.0f}%) after {now - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )

    yield advance


def print_summary(
    summary: ClassSummary, run: BatchRun, skipped: list[str], outputs: list[tuple[str, Path]]
) -> None:
    """After `grade`: the class, what this run graded, what it skipped, where it all is."""
    console = Console(highlight=False, soft_wrap=True)
    _print_counts(console, summary)
    console.print(
        f"graded {run.new} new and {run.regraded} again, skipped {run.unchanged} unchanged, "
        f"in {run.seconds:.1f} s"
    )
    for reason, count in run.reasons:
        console.print(Text(f"  graded again, {count}: {one_line(reason)}"))
    if run.lesson is not None:
        console.print(Text(run.lesson.describe()))
    _print_unusual(console, summary)
    if skipped:
        console.print(f"skipped {len(skipped)} files that are not a student's submission:")
        for line in skipped:
            console.print(Text(f"  {one_line(line)}"))
    if run.isolation:
        console.print(f"isolation: {', '.join(run.isolation)}")
    _print_outputs(console, outputs)


def print_rebuilt(
    summary: ClassSummary, unreadable: list[str], outputs: list[tuple[str, Path]]
) -> None:
    """After `feedback`: the class rebuilt, the record files whose student is unknown, and
    where everything is."""
    console = Console(highlight=False, soft_wrap=True)
    _print_counts(console, summary)
    _print_unusual(console, summary)
    if unreadable:
        console.print(f"{len(unreadable)} record files whose student is unknown:")
        for line in unreadable:
            console.print(Text(f"  {one_line(line)}"))
    _print_outputs(console, outputs)


def _print_counts(console: Console, summary: ClassSummary) -> None:
    table = Table(title=f"{summary.size} submissions", show_header=True)
    table.add_column("status")
    table.add_column("students", justify="right")
    for status, count in summary.counts:
        table.add_row(str(status), str(count))
    console.print(table)
    console.print(f"mean score {summary.mean_score:.2f} of {summary.max_score:g}")


def _print_unusual(console: Console, summary: ClassSummary) -> None:
    if summary.unusual:
        console.print("not graded normally:")
        for row in summary.unusual:
            console.print(Text(f"  {one_line(row.student)}: {row.status}: {one_line(row.message)}"))


def _print_outputs(console: Console, outputs: list[tuple[str, Path]]) -> None:
    for label, path in outputs:
        console.print(Text(f"{one_line(label)}: {one_line(str(path))}"))
