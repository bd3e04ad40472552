"""Grading one notebook in a sandbox: the `check` command's engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .checks import CHECKS_DIR
from .notebook_code import InvalidNotebook, load_release, plan_notebook
from .record import CheckResult
from .remote import SandboxedNotebook
from .runner import run_checks
from .sandbox import Limits, Sandbox

PACKAGE_DIR = Path(__file__).resolve().parent


def secret_paths(*extra: Path) -> list[Path]:
    """Directories a student process must not see even where they lie inside the runtime:
    the grader itself and what it reads. (Everything outside the runtime is unseen anyway.)

    When the grader runs from this kit's own course directory, that directory (holding the
    reference solution in source/) is hidden too.
    """
    paths = {PACKAGE_DIR, CHECKS_DIR.resolve()}
    if (PACKAGE_DIR.parent / "nbgrader_config.py").is_file():
        paths.add(PACKAGE_DIR.parent)
    paths.update(path.resolve() for path in extra if path.exists())
    return sorted(paths)


@dataclass
class Verdict:
    results: list[CheckResult]
    message: str = ""
    notes: list[str] = field(default_factory=list)


def check_notebook(path: Path, limits: Limits, release: Path, seed: int) -> Verdict:
    """Run every hidden check against the notebook at `path`."""
    try:
        plan = plan_notebook(path, load_release(release))
    except InvalidNotebook as invalid:
        return Verdict(results=[], message=f"invalid notebook: {invalid}")
    with Sandbox(limits, secret_paths(path.parent)) as sandbox:
        subject = SandboxedNotebook("notebook", plan, sandbox)
        report = run_checks([subject], seed)["notebook"]
    return Verdict(results=report.results, message=report.unavailable or "", notes=subject.notes())
