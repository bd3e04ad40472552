"""Which of a student's notebooks is graded: one rule, for every layout.

A person opening a student's folder picks the notebook named after the assignment and pays no
attention to the copies Jupyter, browsers and file managers make. So among a student's
notebooks (a hidden one, a link or a file that cannot be read is never graded):

1. one named after the assignment (`gradient_descent.ipynb`, in any case, with spaces or
   hyphens for underscores) is graded;
2. else one copy of it (`gradient_descent-Copy1.ipynb`, `gradient_descent (1).ipynb`,
   `gradient_descent copy.ipynb`, `gradient_descent - Copy.ipynb`,
   `Copy of gradient_descent.ipynb`);
3. else one whose name holds the assignment's (`gradient_descent_final.ipynb`);
4. else the only notebook.

When the first of these that finds any notebook finds several, none is graded and the row
names them and says what to hand in. Every notebook that is not graded is passed over with
the reason, for the list of skipped files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from autograder.exercise import ASSIGNMENT
from autograder.intake.handed_in import HandedIn
from autograder.text import listed

NOTEBOOK = f"{ASSIGNMENT}.ipynb"
_COPY_MARKS = (
    re.compile(r"-Copy\d*$"),  # Jupyter's "Make a Copy"
    re.compile(r"\s*\(\d+\)$"),  # a browser's second download of the same file
    re.compile(r"\s+-\s+Copy(?:\s+\(\d+\))?$", re.IGNORECASE),  # Windows Explorer
    re.compile(r"\s+copy(?:\s+\d+)?$", re.IGNORECASE),  # macOS Finder
    re.compile(r"^Copy of\s+", re.IGNORECASE),  # Google Drive and Colab
)
_SEPARATORS = re.compile(r"[\s-]+")
BECAUSE = (
    "named after the assignment",
    "a copy of the assignment's notebook",
    "named like the assignment",
    "the only notebook",
)
HIDDEN = "its name starts with a dot, which hides it"


@dataclass(frozen=True)
class Choice:
    notebook: HandedIn | None
    problem: str = ""  # why none is graded
    passed_over: tuple[tuple[HandedIn, str], ...] = ()  # what is not graded, and why


def is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def copy_of(stem: str) -> str:
    """The name a copy was made from: `stem` without the marks copies get, or `stem`."""
    previous = None
    while stem != previous:
        previous = stem
        for mark in _COPY_MARKS:
            stem = mark.sub("", stem)
    return stem


def _plain(stem: str) -> str:
    return _SEPARATORS.sub("_", stem.casefold())


def rank(name: str) -> int:
    """How clearly a notebook named `name` is the assignment's: 0 (named after it) to 3."""
    stem = PurePosixPath(name).stem
    if _plain(stem) == ASSIGNMENT:
        return 0
    if _plain(copy_of(stem)) == ASSIGNMENT:
        return 1
    return 2 if ASSIGNMENT in _plain(stem) else 3


def choose(files: Sequence[HandedIn]) -> Choice:
    """The notebook graded among a student's `files`, or why there is none."""
    passed: list[tuple[HandedIn, str]] = []
    candidates: list[HandedIn] = []
    for each in files:
        if each.unusable:
            if is_notebook(each.file_name) or each.is_folder:
                passed.append((each, each.unusable))
        elif is_notebook(each.file_name):
            if each.hidden:
                passed.append((each, HIDDEN))
            else:
                candidates.append(each)
    if not candidates:
        return Choice(None, _nothing(passed), tuple(passed))
    best = min(rank(each.file_name) for each in candidates)
    chosen = [each for each in candidates if rank(each.file_name) == best]
    if len(chosen) > 1:
        names = listed(each.name for each in chosen)
        reason = f"several notebooks are more clearly the assignment's: {names}"
        others = [(each, reason) for each in candidates if each not in chosen]
        return Choice(None, _several(chosen, best), tuple(others + passed))
    [notebook] = chosen
    reason = f"{notebook.name} is graded instead, being {BECAUSE[best]}"
    others = [(each, reason) for each in candidates if each is not notebook]
    return Choice(notebook, "", tuple(others + passed))


def _nothing(passed: list[tuple[HandedIn, str]]) -> str:
    if not passed:
        return "no notebook was submitted"
    found = listed((f"{each.name}: {why}" for each, why in passed), "; ")
    return f"no notebook that can be graded was submitted ({found}); hand in {NOTEBOOK}"


def _several(chosen: list[HandedIn], rank: int) -> str:
    names = listed(each.name for each in chosen)
    if rank == 0:
        return f"{len(chosen)} notebooks are named {NOTEBOOK}: {names}; hand in only one"
    return f"several notebooks and none clearly {NOTEBOOK}: {names}; hand in yours as {NOTEBOOK}"
