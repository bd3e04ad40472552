"""A throwaway copy of the nbgrader course, and nbgrader run inside it as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = "gradient_descent"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
SOURCE = ROOT / "source" / ASSIGNMENT / NOTEBOOK
RELEASE = ROOT / "release" / ASSIGNMENT / NOTEBOOK
REGENERATE = f"nbgrader generate_assignment {ASSIGNMENT} --force"
SITE = ROOT / "tests" / "support" / "site"


def kernel_env() -> dict[str, str]:
    """The environment, with the repo root on PYTHONPATH so kernels can import `autograder`,
    and the suite's `sitecustomize` (`tests/support/site`)."""
    env = dict(os.environ)
    paths = [str(ROOT), str(SITE), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def copy_course(destination: Path) -> Path:
    """Copy the course's config and source notebooks (nothing generated) to `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", destination / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", destination / "source")
    return destination


def run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `python -m <args>` in `cwd`, capturing its output as text."""
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=kernel_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def nbgrader(*args: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run an nbgrader command in the course at `cwd`; fail the test if it exits non-zero."""
    result = run(["nbgrader", *args], cwd, timeout)
    assert result.returncode == 0, (
        f"`nbgrader {' '.join(args)}` exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    return result


def copy_released(released: Path, destination: Path) -> Path:
    """A copy of a course whose release is generated (the e2e `released_course`): a course
    of its own for a test, without `generate_assignment`'s seconds; returns its release."""
    shutil.copytree(released, destination)
    return destination / "release" / ASSIGNMENT / NOTEBOOK


def generate_release(course: Path) -> Path:
    """Run generate_assignment in `course` and return the release notebook it wrote."""
    nbgrader("generate_assignment", ASSIGNMENT, "--force", cwd=course)
    return course / "release" / ASSIGNMENT / NOTEBOOK


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def cell(notebook: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    """The cell with this id."""
    for candidate in notebook.cells:
        if candidate.get("id") == cell_id:
            return candidate
    raise KeyError(f"the notebook has no cell with id {cell_id!r}")
