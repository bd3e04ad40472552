"""What a grader sees in the terminal: a progress bar while grading, a table at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from .batch import BatchRun
from .record import Record, Status


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A bar on a terminal; nothing when the output is a file or a pipe."""
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("grading", total=total)
        yield lambda done: progress.advance(task, done)


def print_summary(records: list[Record], run: BatchRun, out: Path) -> None:
    counts = Counter(record.status for record in records)
    scores = [record.score for record in records]
    table = Table(title=f"{len(records)} submissions", show_header=True)
    table.add_column("status")
    table.add_column("students", justify="right")
    for status in Status:
        if counts[status]:
            table.add_row(str(status), str(counts[status]))
    console = Console(highlight=False)
    console.print(table)
    mean = sum(scores) / len(scores) if scores else 0.0
    console.print(f"mean score {mean:.2f} of {records[0].max_score if records else 0:g}")
    console.print(
        f"graded {run.graded_now} now, {run.skipped} already recorded, in {run.seconds:.1f} s"
    )
    if run.isolation:
        console.print(f"isolation: {', '.join(run.isolation)}")
    if counts[Status.GRADER_ERROR]:
        console.print(
            f"{counts[Status.GRADER_ERROR]} submissions hit a grader error; their rows say what "
            "failed (status grader_error)"
        )
    console.print(f"results: {out / 'results.json'}, {out / 'grades.csv'}", markup=False)
