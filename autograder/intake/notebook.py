"""From a submitted .ipynb file to the steps its grading runs, or a clear reason why not.

A submission is graded as Jupyter runs it, the way nbgrader restores locked cells: the
release's read-only cells run from the trusted release copy, at their own positions, and the
student's cells (the answer cells and any cell the student added) run where the student put
them, in order: each after the read-only cell it follows in the student's notebook. Each graded
cell is a checkpoint: the checks of its category are asked there, against the notebook as it
stands at that cell, so an answer moved below its graded cell is not there yet. Cells after the
last graded cell cannot change a grade, so they are not run, and the student is told so.

The lesson itself is read from the same release (`plan_release`): its read-only cells with
correct answers in the answer cells.

Nothing here runs or transforms code: IPython syntax (magics, shell escapes) is turned into
Python inside the sandbox, under the student's own limits. What the judge does with the file
is linear in its size and bounded: notebooks, cells and code are capped, and a notebook beyond
a cap is `invalid` with a message that says which.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from autograder.exercise import ANSWER_CELLS, TRAINING_CELL, category_of, graded_cell

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 2000  # of every kind, in every format: counted before anything else is done
MAX_CODE_CELLS = 400
MAX_CODE_BYTES = 150_000  # everything one student process is given to run
MAX_MAGIC_LINES = 200


class InvalidNotebook(Exception):
    """The file cannot be graded as a notebook; the message says why, for the student."""


@dataclass(frozen=True)
class Cell:
    """Code to run: `origin` "release" (trusted, read-only) or "student"."""

    label: str  # how messages name it: "cell 8"
    source: str
    origin: str
    role: str | None = None  # "training": the run of update() that feedback shows
    answer: str | None = None  # the answer cell's grade id, for a student's answer cell

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "source": self.source,
            "origin": self.origin,
            "role": self.role,
        }


@dataclass(frozen=True)
class Checkpoint:
    """A graded cell: the checks of `category` are asked here."""

    category: str
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"checkpoint": self.category, "label": self.label}


Step = Cell | Checkpoint


@dataclass(frozen=True)
class ReleaseCell:
    grade_id: str
    kind: str  # "locked", "answer" or "graded"
    source: str
    index: int

    @property
    def label(self) -> str:
        """How messages name the cell: its position among all the notebook's cells."""
        return f"cell {self.index + 1}"

    @property
    def role(self) -> str | None:
        return "training" if self.grade_id == TRAINING_CELL else None


@dataclass(frozen=True)
class Release:
    """The trusted copy of the assignment notebook: what every read-only cell says."""

    cells: tuple[ReleaseCell, ...]
    hash: str  # of the release file's bytes

    @property
    def categories(self) -> list[str]:
        return [category_of(cell.grade_id) or "" for cell in self.cells if cell.kind == "graded"]

    @property
    def read_only_sources(self) -> tuple[str, ...]:
        """What the read-only cells say: the code every notebook graded on this release runs."""
        return tuple(cell.source for cell in self.cells if cell.kind == "locked")

    def cell(self, grade_id: str) -> ReleaseCell | None:
        return next((cell for cell in self.cells if cell.grade_id == grade_id), None)

    def named(self, label: str) -> str:
        """A cell's label with its grade id, for an instructor: "cell 13 (make-parameter)"."""
        found = next((cell for cell in self.cells if cell.label == label), None)
        return f"{label} ({found.grade_id})" if found else label


def release_bytes(source: Path | bytes) -> bytes:
    """The release's bytes, from its file or as they came (from a machine that has the file)."""
    return source if isinstance(source, bytes) else source.read_bytes()


@cache
def load_release(source: Path | bytes) -> Release:
    """The release notebook's code cells, in order; a broken release is the grader's error.
    `source` is its file, or its bytes where the file is on another machine."""
    path = "the release" if isinstance(source, bytes) else source
    data = release_bytes(source)
    notebook = json.loads(data)
    cells = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        meta = nbgrader_metadata(cell)
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str):
            raise ValueError(f"{path}: code cell {index} has no nbgrader grade id")
        if meta.get("solution"):
            kind = "answer"
        elif meta.get("grade") and category_of(grade_id):
            kind = "graded"
        else:
            kind = "locked"
        cells.append(ReleaseCell(grade_id, kind, cell_source(cell.get("source", "")), index))
    return Release(tuple(cells), hashlib.sha256(data).hexdigest())


@dataclass
class NotebookPlan:
    """What grading one submission runs, and what the student should know about it."""

    steps: list[Step]
    notes: list[str] = field(default_factory=list)


def nbgrader_metadata(cell: dict[str, Any]) -> dict[str, Any]:
    """A cell's nbgrader metadata, or {} when it has none or it is not an object."""
    metadata = cell.get("metadata")
    found = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return found if isinstance(found, dict) else {}


def cell_source(source: Any) -> str:
    """A cell's source as one string, from either form nbformat allows."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise InvalidNotebook("a cell's source is not text")


def notebook_bytes(path: Path) -> bytes:
    """The file's bytes, read only when its size is one a notebook can have."""
    try:
        size = path.stat().st_size
        _refuse_size(size)
        return path.read_bytes()
    except OSError as error:
        raise InvalidNotebook(f"cannot read the file: {error.strerror}") from None


def _refuse_size(size: int) -> None:
    if size == 0:
        raise InvalidNotebook("the file is empty")
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the file is {size} bytes, more than a notebook should be")


def read_notebook(source: Path | bytes) -> dict[str, Any]:
    """The notebook as nbformat 4 JSON; older formats are upgraded with nbformat itself.
    `source` is the file, or the bytes `notebook_bytes` read from it. Cells are counted
    before the file is parsed and again before it is upgraded, so a notebook of hundreds of
    thousands of cells is refused in the time it takes to count them."""
    data = source if isinstance(source, bytes) else notebook_bytes(source)
    _refuse_size(len(data))
    _refuse_cells(data.count(CELL_TYPE_KEY))  # every cell of every format has this key
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise InvalidNotebook(f"the file is not valid JSON ({_short(error)})") from None
    if not isinstance(raw, dict) or ("cells" not in raw and "worksheets" not in raw):
        raise InvalidNotebook("the file is JSON but not a Jupyter notebook")
    _refuse_cells(_cell_count(raw))
    if raw.get("nbformat") != 4:
        raw = _upgraded(raw)
    cells = raw.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise InvalidNotebook("the notebook's cells are not a list of cells")
    return raw


# A JSON key as the file holds it: inside a JSON string a quote is escaped, so the bytes
# `"cell_type"` stand only for a key (or a value) of exactly that text.
CELL_TYPE_KEY = b'"cell_type"'


def _cell_count(raw: dict[str, Any]) -> int:
    """The cells (and old formats' worksheets) of a parsed notebook, whatever its format."""
    count = len(raw["cells"]) if isinstance(raw.get("cells"), list) else 0
    worksheets = raw.get("worksheets")
    if isinstance(worksheets, list):
        count += len(worksheets)
        for sheet in worksheets:
            cells = sheet.get("cells") if isinstance(sheet, dict) else None
            count += len(cells) if isinstance(cells, list) else 0
    return count


def _refuse_cells(count: int) -> None:
    if count > MAX_CELLS:
        raise InvalidNotebook(
            f"the notebook has more than {MAX_CELLS} cells, more than this exercise could need"
        )


def _short(error: BaseException) -> str:
    return str(error)[:200]


def _upgraded(raw: dict[str, Any]) -> dict[str, Any]:
    """An older notebook format upgraded by nbformat, without the outputs grading never
    reads, so that nbformat's work is bounded by the cells and their code."""
    import nbformat

    try:
        upgraded = nbformat.reads(json.dumps(_without_outputs(raw)), as_version=4)
        return json.loads(json.dumps(upgraded))  # plain JSON values, as a version 4 file gives
    except Exception as error:
        raise InvalidNotebook(f"the notebook format is not readable ({_short(error)})") from None


def _without_outputs(raw: dict[str, Any]) -> dict[str, Any]:
    """A notebook of any format with every code cell's outputs emptied."""
    copy = dict(raw)
    if isinstance(raw.get("cells"), list):
        copy["cells"] = _cells_without_outputs(raw["cells"])
    if isinstance(raw.get("worksheets"), list):
        copy["worksheets"] = [
            sheet | {"cells": _cells_without_outputs(sheet["cells"])}
            if isinstance(sheet, dict) and isinstance(sheet.get("cells"), list)
            else sheet
            for sheet in raw["worksheets"]
        ]
    return copy


def _cells_without_outputs(cells: list[Any]) -> list[Any]:
    return [
        cell | {"outputs": []} if isinstance(cell, dict) and "outputs" in cell else cell
        for cell in cells
    ]


def plan_notebook(source: Path | bytes, release: Release) -> NotebookPlan:
    """The steps that grade the notebook (its file or its bytes), with `release`'s read-only
    cells."""
    return plan_cells(read_notebook(source), release)


def plan_cells(notebook: dict[str, Any], release: Release) -> NotebookPlan:
    """The steps that grade a notebook already read (see `read_notebook`)."""
    code = [(i, c) for i, c in enumerate(notebook["cells"]) if c.get("cell_type") == "code"]
    if len(code) > MAX_CODE_CELLS:
        raise InvalidNotebook(
            f"the notebook has {len(code)} code cells; more than {MAX_CODE_CELLS} cannot be graded"
        )
    known = {cell.grade_id: cell for cell in release.cells}
    ids = [nbgrader_metadata(cell).get("grade_id") for _, cell in code]
    by_source = _read_only_by_source(release, {i for i in ids if isinstance(i, str)})
    placed: dict[str | None, list[Cell]] = {}  # student cells, by the read-only cell they follow
    labels: dict[str, str] = {}
    notes: list[str] = []
    anchor: str | None = None
    for index, cell in code:
        grade_id = nbgrader_metadata(cell).get("grade_id")
        source = cell_source(cell.get("source", ""))
        label = f"cell {index + 1}"
        trusted = (
            known.get(grade_id)
            if isinstance(grade_id, str)
            else by_source.get(_without_hidden_tests(source))
        )
        answer = None
        if trusted is not None and trusted.grade_id not in labels:
            labels[trusted.grade_id] = label
            if trusted.kind != "answer":
                anchor = trusted.grade_id
                if _without_hidden_tests(source) != _without_hidden_tests(trusted.source):
                    notes.append(f"{label} is read-only but was edited; the original was used")
                continue
            answer = trusted.grade_id
        placed.setdefault(anchor, []).append(Cell(label, source, "student", answer=answer))
    steps: list[Step] = list(placed.get(None, []))
    for trusted in release.cells:
        label = labels.get(trusted.grade_id, trusted.label)
        if trusted.kind == "answer":
            if trusted.grade_id not in labels and trusted.grade_id in ANSWER_CELLS:
                notes.append(f"the answer cell for {trusted.grade_id} is missing (deleted?)")
        elif trusted.kind == "graded":
            steps.append(Checkpoint(category_of(trusted.grade_id) or "", label))
        else:
            steps.append(Cell(label, trusted.source, "release", trusted.role))
        steps.extend(placed.get(trusted.grade_id, []))
    notes += _answers_below_their_graded_cells(steps, release)
    steps, after_last = _until_last_checkpoint(steps)
    for cell in after_last:
        if cell.origin == "student":
            notes.append(
                f"{cell.label} was not run: it comes after the last graded cell, so it cannot "
                "change the grade"
            )
    _refuse_oversized(steps)
    return NotebookPlan(steps=steps, notes=notes)


def _read_only_by_source(release: Release, present: set[str]) -> dict[str, ReleaseCell]:
    """The release's read-only and graded cells that no cell's metadata names (`present`),
    by their source as students see it: an editor that drops cell metadata (VS Code, Colab)
    leaves what they hold, so they are found by it, and the student's cells still run where
    they put them among them."""
    found: dict[str, ReleaseCell] = {}
    for cell in release.cells:
        if cell.kind != "answer" and cell.grade_id not in present and cell.source.strip():
            found.setdefault(_without_hidden_tests(cell.source), cell)
    return found


def _answers_below_their_graded_cells(steps: list[Step], release: Release) -> list[str]:
    """A note for each answer cell the student put below a graded cell that, in the release,
    comes after it: that graded cell was judged before the answer ran."""
    position = {cell.grade_id: cell.index for cell in release.cells}
    passed: list[Checkpoint] = []
    notes = []
    for step in steps:
        if isinstance(step, Checkpoint):
            passed.append(step)
        elif step.answer is not None:
            skipped = [
                checkpoint
                for checkpoint in passed
                if position[graded_cell(checkpoint.category)] > position[step.answer]
            ]
            if skipped:
                first = skipped[0]
                notes.append(
                    f"{step.label} (your {step.answer}) comes below {first.label}, the graded "
                    f"cell for {first.category}, so it had not run when {first.category} was "
                    "graded"
                )
    return notes


def plan_release(release: Release, answers: dict[str, str]) -> list[Step]:
    """The release as the instructor wrote it, with `answers` (grade id: source) in its
    answer cells: every read-only cell, at its place, and each graded cell as a checkpoint.
    An answer cell without an answer keeps the release's stub."""
    steps: list[Step] = []
    for cell in release.cells:
        if cell.kind == "graded":
            steps.append(Checkpoint(category_of(cell.grade_id) or "", cell.label))
        else:
            answer = answers.get(cell.grade_id) if cell.kind == "answer" else None
            steps.append(Cell(cell.label, answer or cell.source, "release", cell.role))
    return steps


def _without_hidden_tests(source: str) -> str:
    """A graded cell as students see it: the instructor's copy also holds the hidden tests."""
    kept, hidden = [], False
    for line in source.strip().splitlines():
        if line.strip() == "### BEGIN HIDDEN TESTS":
            hidden = True
        elif line.strip() == "### END HIDDEN TESTS":
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept).strip()


def _until_last_checkpoint(steps: list[Step]) -> tuple[list[Step], list[Cell]]:
    last = max((i for i, step in enumerate(steps) if isinstance(step, Checkpoint)), default=-1)
    after = [step for step in steps[last + 1 :] if isinstance(step, Cell)]
    return steps[: last + 1], after


def _refuse_oversized(steps: list[Step]) -> None:
    sources = [step.source for step in steps if isinstance(step, Cell)]
    size = sum(len(source.encode("utf-8", errors="replace")) for source in sources)
    if size > MAX_CODE_BYTES:
        raise InvalidNotebook(
            f"the notebook holds {size} bytes of code; more than this exercise could need "
            f"({MAX_CODE_BYTES})"
        )
    magic = sum(_magic_lines(source) for source in sources)
    if magic > MAX_MAGIC_LINES:
        raise InvalidNotebook(
            f"the notebook has {magic} lines of magics or shell commands; at most "
            f"{MAX_MAGIC_LINES} can be graded"
        )


def _magic_lines(source: str) -> int:
    """Lines IPython would rewrite (`%magic`, `!shell`, `x = !shell`, `name?`), in one pass."""
    count = 0
    for line in source.splitlines():
        stripped = line.lstrip()
        _, equals, value = stripped.partition("=")
        if (
            stripped.startswith(("%", "!"))
            or (equals and value.lstrip().startswith(("%", "!")))
            or stripped.endswith("?")
        ):
            count += 1
    return count
