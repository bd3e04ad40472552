"""What an nbgrader grade cell calls: the hidden checks against the notebook's own functions.

The cell's last expression is the points earned, which nbgrader reads as partial credit.
Student prints and warnings are kept out of the cell's stderr, which nbgrader would otherwise
count as a failure.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from .results import as_table, total
from .runner import run_checks
from .student import InProcessStudent, Student


class NotebookNamespace:
    """The running notebook's globals as a subject for the checks."""

    id = "notebook"

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.namespace = namespace

    @contextmanager
    def open(self) -> Iterator[Student]:
        yield InProcessStudent(self.namespace)


def score(category: str, namespace: MutableMapping[str, Any]) -> float:
    """Run one category's checks, print the verdicts, and return the points earned."""
    results = run_checks([NotebookNamespace(namespace)], [category])["notebook"].results
    print(as_table(results))
    return total(results)[0]
