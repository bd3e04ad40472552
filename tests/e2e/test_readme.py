"""The README's two set-up commands are what CI runs, and the first one works as written."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.course import ROOT


def readme_commands() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "readme_commands.py"), str(ROOT / "README.md")],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_readme_has_exactly_two_set_up_commands_and_ci_runs_them():
    install, tests = readme_commands()
    assert install.startswith(".ci/install && python -m autograder grade examples/submissions")
    assert tests == "python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_commands.py README.md" in ci
    assert 'eval "${commands[0]}"' in ci and 'eval "${commands[1]}"' in ci


@pytest.mark.slow
@pytest.mark.one_core
def test_command_one_installs_and_grades_the_example_class(tmp_path):
    """As written, in a Python of its own (a new virtualenv), as on a new machine: the suite's
    own Python is left alone, since installing the kit again there would take it away for a
    moment from the tests running beside this one."""
    install, _ = readme_commands()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    path = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    environment = os.environ | {"VIRTUAL_ENV": str(venv), "PATH": path}
    done = subprocess.run(
        ["bash", "-c", install],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    installed = [str(venv / "bin" / "python"), "-c", "import autograder, torch, nbgrader"]
    assert subprocess.run(installed, cwd=tmp_path).returncode == 0
    results = json.loads((ROOT / "out" / "example" / "results.json").read_text())
    statuses = {row["student"]: row["status"] for row in results["submissions"]}
    assert len(statuses) == 9 and statuses["ivan"] == "invalid" and statuses["alice"] == "graded"
