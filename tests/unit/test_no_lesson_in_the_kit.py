"""No number of the shipped lesson lives in the kit's code: every one is read from the
instructor's notebook (`autograder.lesson`), so an edited lesson is never graded against the
kit's own copy of it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"
SOURCES = sorted(PACKAGE.rglob("*.py"))

# The shipped lesson, as code and text would write it: its seed, size, true line, first
# guess, learning rate, epochs, the loss of its first guess and its least-squares fit.
LESSON_TEXT = [
    r"manual_seed\(\s*42\s*\)",
    r"\bn\s*=\s*100\b",
    r"\[\s*3\.0\s*,\s*2\.0\s*\]",
    r"\(\s*3\.0\s*,\s*2\.0\s*\)",
    r"3x \+ 2",
    r"\(\s*-1(\.0)?\s*,\s*1(\.0)?\s*\)",
    r"\[\s*-1(\.0)?\s*,\s*1(\.0)?\s*\]",
    r"\(\s*−1\s*,\s*1\s*\)",
    r"\blr\s*=\s*0?\.1\b",
    r"0\.1\s*·",
    r"range\(\s*100\s*\)",
    r"\b100 (calls|updates|epochs|points|steps)\b",
    r"\b8\.23",
    r"\b3\.05",
    r"\b2\.46",
    r"\b2\.45[0-9]",
    r"\b(SEED|N_POINTS|TRUE_A|FIRST_GUESS|LEARNING_RATE|EPOCHS)\b",
    r"\bmake_data\b",
]
LESSON_NUMBERS = {42, 8.23, 8.2318, 8.231786, 3.0544, 2.4557}


@pytest.mark.parametrize("pattern", LESSON_TEXT)
def test_no_source_file_writes_the_lesson(pattern: str):
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(pattern, line)
    ]
    assert found == []


def test_no_source_file_holds_a_number_of_the_lesson():
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            value = getattr(node, "value", None) if isinstance(node, ast.Constant) else None
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            # the sandbox knows nothing of the exercise: its 0.1 s is a polling interval
            learning_rate = value == 0.1 and path.parent.name != "sandbox"
            if value in LESSON_NUMBERS or learning_rate:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {value!r}")
    assert found == []


def test_the_patterns_find_the_lesson_where_it_is_written():
    """The patterns are not vacuous: they find the shipped lesson in its own notebook."""
    source = PACKAGE.parent / "source" / "gradient_descent" / "gradient_descent.ipynb"
    notebook = source.read_text(encoding="utf-8")
    for pattern in (r"manual_seed\(\s*42\s*\)", r"\blr\s*=\s*0?\.1\b", r"range\(\s*100\s*\)"):
        assert re.search(pattern, notebook), pattern
