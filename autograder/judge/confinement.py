"""The sandbox a submission's notebook runs in: what each student process runs, and what it
must not see. Kept free of the judge's own imports, so a worker can start its fork server
before it loads torch and the checks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autograder.sandbox import Limits, Sandbox

PACKAGE_DIR = Path(__file__).resolve().parent.parent
STUDENT_ENTRY = "autograder.inside.responder:serve"  # what runs in a student process


def student_sandbox(limits: Limits, hidden: Sequence[Path], for_a_class: bool) -> Sandbox:
    """A fork server whose confined processes run a submission's notebook (see `inside`);
    one `for_a_class` makes every launch cheaper at a start-up cost (huge pages), one for a
    single notebook starts as quickly as it can."""
    return Sandbox(limits, secret_paths(*hidden), entry=STUDENT_ENTRY, huge_pages=for_a_class)


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
