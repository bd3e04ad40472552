"""nbgrader's `autograded/` notebooks, which the formgrader opens to show a submission.

nbgrader's formgrader counts a submission as autograded only when
`autograded/<student>/gradient_descent/` exists, and shows it from the notebook there. Each one
written here is the student's notebook as the grader saw it, rebuilt from trusted parts: the
release's read-only cells (graded cells without their hidden part, which nbgrader stripped
from the release), the student's own cells, and under each graded cell the results of its
category's checks. Nothing else comes from the submission: no outputs (what a student saved
there was never produced by grading, and HTML or JavaScript in it would run in the
instructor's Jupyter server), no attachments, no metadata (a student cannot turn a cell of
theirs into a grade cell), and every cell of the student's that is not code (markdown, raw,
or a type nbformat does not know) is shown as plain text, never as HTML, links or images: raw
cells are rendered as HTML by nbconvert too. Student text passes through `printable`, so the
file is a valid notebook whatever the submission held.
A submission with no readable notebook gets a minimal one: a note that says why, and the
graded cells with the reason as their result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from autograder.atomic import (
    input_version,
    output_version,
    passed_over,
    read_note,
    write_atomically,
)
from autograder.exercise import ASSIGNMENT, category_of
from autograder.intake.ids import course_folder
from autograder.intake.notebook import (
    InvalidNotebook,
    cell_source,
    nbgrader_metadata,
    read_notebook,
)
from autograder.intake.submissions import Submission, collect
from autograder.judge.record import Record, Status
from autograder.judge.results import as_table
from autograder.text import printable
from autograder.usage import UsageError

Notebook = dict[str, Any]
MADE_FROM = "gd_autograder_made_from"  # the notebook metadata key of `AutogradedNotebooks`


def autograded_path(course_root: Path, student: str) -> Path:
    """Where nbgrader's formgrader looks for a student's autograded notebook."""
    return course_root.joinpath(
        "autograded", course_folder(student), ASSIGNMENT, f"{ASSIGNMENT}.ipynb"
    )


def results_text(record: Record, category: str) -> str:
    """What a graded cell shows: its category's check results, and the record's message when
    grading did not end normally (why the category has no or failing results)."""
    checks = [check for check in record.checks if check.category == category]
    parts = [as_table(checks)] if checks else []
    if record.status != Status.GRADED or not checks:
        parts.append(f"{record.status}: {record.message}")
    return "\n".join(parts) + "\n"


def autograded_notebook(submitted: Notebook | str, release: Notebook, record: Record) -> Notebook:
    """The notebook the formgrader shows for `record`; `submitted` is the student's notebook
    as read by `read_notebook`, or why there is none to show."""
    trusted = _release_cells(release)
    placed: set[str] = set()
    cells = []
    if isinstance(submitted, str):
        cells.append(_cell("markdown", _verbatim(printable(submitted))))
    else:
        for cell in submitted["cells"]:
            grade_id = nbgrader_metadata(cell).get("grade_id")
            original = trusted.get(grade_id) if isinstance(grade_id, str) else None
            if original is not None and grade_id not in placed:
                placed.add(grade_id)
                cells.append(_from_release(original, cell, record))
            else:
                cells.append(_student_cell(cell))
    cells += [  # graded cells the student deleted: their points are still shown
        _from_release(original, original, record)
        for grade_id, original in trusted.items()
        if grade_id not in placed and _graded_category(original)
    ]
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": release.get("metadata", {}),
        "cells": cells,
    }


def _cell(
    kind: str, source: str, metadata: Notebook | None = None, outputs: list[Notebook] | None = None
) -> Notebook:
    """A cell in nbformat 4.5's shape, built directly: nbformat's constructors validate every
    cell they make, which costs more than the rest of a class's notebooks together; the
    shapes here are held valid by the tests instead."""
    cell = {"cell_type": kind, "metadata": metadata or {}, "source": source}
    if kind == "code":
        cell |= {"execution_count": None, "outputs": outputs or []}
    return cell


def _release_cells(release: Notebook) -> dict[str, Notebook]:
    found: dict[str, Notebook] = {}
    for cell in release["cells"]:
        grade_id = nbgrader_metadata(cell).get("grade_id")
        if isinstance(grade_id, str):
            found.setdefault(grade_id, cell)
    return found


def _graded_category(cell: Notebook) -> str | None:
    """The check category whose points a release cell holds, or None if it holds none."""
    nbgrader = nbgrader_metadata(cell)
    return category_of(nbgrader["grade_id"]) if nbgrader.get("grade") else None


def _from_release(original: Notebook, submitted: Notebook, record: Record) -> Notebook:
    """A release cell in the student's notebook: the student's source if it is an answer
    cell, else the release's; a graded cell also shows its category's results."""
    metadata = {"nbgrader": nbgrader_metadata(original)}
    kind = original["cell_type"]
    answer = metadata["nbgrader"].get("solution") and submitted.get("cell_type") == kind
    if answer:
        source = printable(cell_source(submitted.get("source", "")))
    else:
        source = cell_source(original.get("source", ""))
    if kind != "code" and answer:
        return _cell("markdown", _verbatim(source), metadata)
    if kind != "code":
        return _cell("markdown" if kind == "markdown" else "raw", source, metadata)
    category = _graded_category(original)
    outputs = []
    if category:
        text = results_text(record, category)
        outputs.append({"output_type": "stream", "name": "stdout", "text": text})
    return _cell("code", source, metadata, outputs)


def _student_cell(cell: Notebook) -> Notebook:
    """A cell the student wrote, as text only: code without outputs, any other cell verbatim."""
    source = printable(cell_source(cell.get("source", "")))
    if cell.get("cell_type") == "code":
        return _cell("code", source)
    return _cell("markdown", _verbatim(source))


def _verbatim(text: str) -> str:
    """Markdown that shows `text` exactly as written, as an indented code block: nothing in it
    becomes HTML, a script or a link (nbconvert passes raw HTML and `javascript:` links)."""
    return "\n".join(f"    {line}" for line in text.splitlines())


def _submitted_notebook(submission: Submission | None, record: Record) -> Notebook | str:
    """The student's notebook as it was graded, or why it cannot be shown."""
    if record.status == Status.INVALID:
        return f"No notebook in this submission could be graded: {record.message}"
    if submission is None or submission.notebook is None:
        return "This submission is no longer in submitted/."
    try:
        if record.notebook_hash and submission.content_hash() != record.notebook_hash:
            return "The submitted notebook changed after it was graded: grade the class again."
        notebook = read_notebook(submission.notebook)
        for cell in notebook["cells"]:  # grading read only code cells: check every cell's text
            cell_source(cell.get("source", ""))
    except (InvalidNotebook, OSError) as error:
        return f"The submitted notebook cannot be read: {error}"
    return notebook


def _submissions(course_root: Path) -> dict[str, Submission]:
    try:
        batch = collect([str(course_root / "submitted")])
    except UsageError:
        return {}
    return _by_student(batch.submissions)


def _by_student(submissions: Iterable[Submission]) -> dict[str, Submission]:
    return {submission.student: submission for submission in submissions}


def write_autograded_notebooks(
    course_root: Path,
    release: Path,
    records: Iterable[Record],
    collected: Sequence[Submission] | None = None,
    note: Path | None = None,
    record_file: Callable[[str], Path] | None = None,
    settled: frozenset[str] = frozenset(),
) -> int:
    """Write each record's autograded notebook in the course, from the submissions in its
    `submitted/` (as `collected` already, or collected here); returns how many were written
    (see `AutogradedNotebooks.write`). What each notebook was made from is noted in `note`,
    so that the next run reads that one file rather than every notebook; given where each
    record is kept (`record_file`), so are the versions of the files it was made from, so
    that a notebook none of whose files changed is not made again to compare. The notebooks
    of `settled` students are known unchanged since they were noted, so not even their
    versions are taken."""
    noted = read_note(note, _shaped) if note is not None else {}
    notebooks = AutogradedNotebooks(course_root, release, dict(noted), record_file)
    submissions = _submissions(course_root) if collected is None else _by_student(collected)
    due = [each for each in records if not passed_over(each.student, settled, noted)]
    written = sum(notebooks.write(record, submissions.get(record.student)) for record in due)
    if note is not None and notebooks.noted != noted:
        write_atomically(note, json.dumps(notebooks.noted), durable=False)
    return written


def _shaped(entry: list[Any]) -> bool:
    """[made from, the notebook's version] or, with the versions of its files, three."""
    return len(entry) in (2, 3) and isinstance(entry[0], str)


class AutogradedNotebooks:
    """Writes a course's autograded notebooks from its release, one student at a time."""

    def __init__(
        self,
        course_root: Path,
        release: Path,
        noted: dict[str, list[Any]] | None = None,
        record_file: Callable[[str], Path] | None = None,
    ) -> None:
        self.course_root = course_root
        # student -> [what their notebook was made from, the file's identity when that was so,
        # and the versions of the files it was made from (when known)]
        self.noted: dict[str, list[Any]] = {} if noted is None else noted
        self.release_file = release
        self.record_file = record_file
        data = release.read_bytes()
        self.release: Notebook = json.loads(data)
        self._release_hash = hashlib.sha256(data).hexdigest()

    def write(self, record: Record, submission: Submission | None) -> bool:
        """Write one record's notebook from its `submission` (None: no longer in
        `submitted/`), reading no one else's. Each notebook carries a hash of what it was
        made from; one already made from the same record, submission and release is left
        as it is, so a run costs what changed. Whether it was written."""
        path = autograded_path(self.course_root, record.student)
        sources = self._sources(record.student, submission)
        noted = self.noted.get(record.student)
        if (
            sources is not None
            and noted is not None
            and noted[1:] == [output_version(path), sources]
        ):
            return False  # neither the notebook nor a file it was made from changed
        made_from = self._made_from(record, submission)
        if self._was_made_from(record.student, path) == made_from:
            self._note(record.student, path, made_from, sources)
            return False
        from nbformat import from_dict  # seconds to import: only when one is written
        from nbformat.v4 import writes_json

        notebook = autograded_notebook(
            _submitted_notebook(submission, record), self.release, record
        )
        notebook["metadata"] = notebook["metadata"] | {MADE_FROM: made_from}
        write_atomically(path, writes_json(from_dict(notebook)), durable=False)
        self._note(record.student, path, made_from, sources)
        return True

    def _sources(self, student: str, submission: Submission | None) -> list[Any] | None:
        """The versions of the files a student's notebook is made from (record, submission,
        release); None when one is unknown or still settling (`atomic.input_version`)."""
        if self.record_file is None:
            return None
        handed_in = submission.notebook if submission is not None else None
        if isinstance(handed_in, bytes):
            return None
        versions = [
            output_version(self.record_file(student)),
            input_version(handed_in),
            input_version(self.release_file),
        ]
        return None if None in versions else versions

    def _was_made_from(self, student: str, path: Path) -> str | None:
        """What the notebook at `path` was made from: as noted, while the file is the one
        that was noted (same inode, size and modification time), else read from it."""
        identity = output_version(path)
        noted = self.noted.get(student)
        if identity is not None and noted is not None and noted[1:2] == [identity]:
            return noted[0]
        found = _made_from_in(path)
        if found is not None:
            self._note(student, path, found)
        return found

    def _note(
        self, student: str, path: Path, made_from: str, sources: list[Any] | None = None
    ) -> None:
        identity = output_version(path)
        if identity is not None:
            self.noted[student] = [made_from, identity] + ([sources] if sources else [])

    def _made_from(self, record: Record, submission: Submission | None) -> str:
        """A hash of what a record's notebook shows: the release, the graded submission as
        it is now, and what the record says of it (not what the student's code produced)."""
        handed_in = submission.content_hash() if submission is not None else None
        shown = record.with_(observations=(), output="", timings=None).to_json()
        parts = [self._release_hash, handed_in, shown]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _made_from_in(path: Path) -> str | None:
    """The hash of what the notebook at `path` was made from, if it is one of ours."""
    try:
        found = json.loads(path.read_bytes())["metadata"][MADE_FROM]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return found if isinstance(found, str) else None
