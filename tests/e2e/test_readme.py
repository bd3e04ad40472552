"""The README's two set-up commands are what CI runs, and the first one works as written."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

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


def packages_folder(venv: Path) -> Path:
    """Where the virtualenv's own Python installs packages."""
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    python = [str(venv / "bin" / "python"), "-c", code]
    done = subprocess.run(python, capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


@pytest.mark.slow
def test_command_one_installs_and_grades_the_example_class(tmp_path):
    """As written, in a Python of its own (a new virtualenv), so that the suite's own Python,
    which the tests beside this one are using, is left alone. The new Python is lent the
    suite's installed packages (a `.pth` line), so pip finds torch and the rest already there
    and installs the kit itself: what installing everything from nothing takes is proved by
    CI, which runs this same command in an empty virtualenv before it runs the suite."""
    install, _ = readme_commands()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    own_packages = packages_folder(venv)
    (own_packages / "lent.pth").write_text("\n".join(site.getsitepackages()) + "\n")
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
    kit = [str(venv / "bin" / "python"), "-m", "pip", "show", "gd-autograder"]
    shown = subprocess.run(kit, capture_output=True, text=True, cwd=tmp_path)
    assert f"Location: {own_packages}" in shown.stdout, shown.stdout + shown.stderr
    installed = [str(venv / "bin" / "python"), "-c", "import autograder, torch, nbgrader"]
    assert subprocess.run(installed, cwd=tmp_path).returncode == 0
    results = json.loads((ROOT / "out" / "example" / "results.json").read_text())
    statuses = {row["student"]: row["status"] for row in results["submissions"]}
    assert len(statuses) == 9 and statuses["ivan"] == "invalid" and statuses["alice"] == "graded"
