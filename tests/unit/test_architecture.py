"""The package's shape: stages in data-flow order, imports that never point back, and a
student side that loads none of the judge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.support.course import ROOT

PACKAGE = ROOT / "autograder"
# Data-flow order: a module may import from its own stage or an earlier one, never a later.
STAGES = [
    ("autograder", "autograder.exercise", "autograder.text", "autograder.atomic"),
    ("autograder.intake",),
    ("autograder.sandbox",),
    ("autograder.inside",),
    ("autograder.judge",),
    ("autograder.checks",),
    ("autograder.batch",),
    ("autograder.feedback",),
    ("autograder.outputs",),
    ("autograder.service",),
    ("autograder.__main__",),
]
JUDGE_SIDE = ("autograder.judge", "autograder.checks", "autograder.batch", "autograder.feedback")


def stage_of(module: str) -> int:
    best, position = -1, -1
    for index, prefixes in enumerate(STAGES):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, position = len(prefix), index
    assert position >= 0, f"{module} belongs to no stage"
    return position


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def kit_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("autograder")
        ):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("autograder"))
    return found


def test_no_module_imports_from_a_later_stage():
    backwards = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        for imported in kit_imports(path):
            if stage_of(imported) > stage_of(here):
                backwards.append(f"{here} imports {imported}")
    assert backwards == []


def test_every_module_has_a_docstring_and_every_stage_says_what_it_does():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__init__.py" and path.parent.name == "checks":
            continue  # pytest's package: its docstring is the checks' rules
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path


def test_the_student_side_loads_none_of_the_judge():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, autograder.inside.responder\n"
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('autograder'))))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = done.stdout.split()
    assert "autograder.inside.reporter" in loaded
    assert [module for module in loaded if module.startswith(JUDGE_SIDE)] == []
