"""The sandbox a submission's notebook runs in: what each student process runs, and what it
must not see. Kept free of the judge's own imports, so a worker can start its fork server
before it loads the judge and the checks."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox import Limits, Sandbox
from autograder.sandbox.hugepages import PAY_FROM_LAUNCHES

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STUDENT_ENTRY = "autograder.inside.responder:serve"  # what runs in a student process
UNTIL_STOPPED = sys.maxsize  # the launches of a worker that serves until it is stopped


def student_sandbox(
    limits: Limits, hidden: Sequence[Path], launches: int, cells: Sequence[str] = ()
) -> Sandbox:
    """A fork server whose confined processes run a submission's notebook (see `inside`),
    for about `launches` of them: one that launches enough to earn back its huge pages'
    start-up cost builds them, one for a single notebook starts as quickly as it can; each
    student after the first is forked while the one before runs. `cells` are the release's
    read-only cells, which every student process runs: the server works out IPython's part
    of running them once, before forking any (`StudentShell.learn`)."""
    huge_pages = launches >= PAY_FROM_LAUNCHES
    return Sandbox(
        limits,
        secret_paths(*hidden),
        STUDENT_ENTRY,
        huge_pages=huge_pages,
        launches=launches,
        preparation={"cells": list(cells)},
    )


def secret_paths(*extra: Path) -> list[Path]:
    """Directories a student process must not see even where they lie inside the runtime:
    the grader itself (its checks included) and what it reads. (Everything outside the
    runtime is unseen anyway.)

    When the grader runs from this kit's own course directory, that directory (holding the
    reference solution in source/) is hidden too.
    """
    paths = {PACKAGE_DIR}
    if (PACKAGE_DIR.parent / "nbgrader_config.py").is_file():
        paths.add(PACKAGE_DIR.parent)
    paths.update(path.resolve() for path in extra if path.exists())
    return sorted(paths)
