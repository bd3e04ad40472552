"""Each layout `grade` reads, laid out on disk from a plain description of who handed in what:
an nbgrader course's `submitted/`, a Canvas, Moodle or Gradescope download, a folder of
notebooks. Names are bytes, so a test can give a file any name a file system allows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ASSIGNMENT = b"gradient_descent"
NOTEBOOK = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
LAYOUTS = ("nbgrader", "canvas", "moodle", "gradescope")
SUBMITTED_AT = "2026-11-20 10:22:11.123456000 -08:00"  # as Gradescope writes it


@dataclass(frozen=True)
class Student:
    """One student's submission: their id as the layout writes it, and their files."""

    id: bytes  # nbgrader: the folder; Canvas and Moodle: the number; Gradescope: the sid
    files: tuple[tuple[bytes, bytes], ...]  # (path inside the submission, content)
    name: bytes = b"Smith Ana"  # Canvas's lastfirst, Moodle's full name, Gradescope's name
    extra: dict[bytes, bytes] = field(default_factory=dict)  # nbgrader: timestamp.txt, ...


def write(path: bytes, content: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as stream:
        stream.write(content)


def lay_out(layout: str, root: Path, students: list[Student]) -> Path:
    """The students' submissions laid out as `layout` under `root`; returns what `grade` is
    given."""
    base = os.fsencode(root)
    if layout == "nbgrader":
        top = os.path.join(base, b"submitted")
        for student in students:
            folder = os.path.join(top, student.id, ASSIGNMENT)
            os.makedirs(folder, exist_ok=True)
            for name, content in [*student.files, *student.extra.items()]:
                write(os.path.join(folder, name), content)
    elif layout == "canvas":
        top = os.path.join(base, b"canvas")
        os.makedirs(top, exist_ok=True)
        for number, student in enumerate(students):
            for index, (name, content) in enumerate(student.files):
                file = b"%s_%s_%d_%s" % (student.name, student.id, 900 + 10 * number + index, name)
                write(os.path.join(top, file), content)
    elif layout == "moodle":
        top = os.path.join(base, b"moodle")
        os.makedirs(top, exist_ok=True)
        for student in students:
            folder = os.path.join(top, b"%s_%s_assignsubmission_file_" % (student.name, student.id))
            os.makedirs(folder, exist_ok=True)
            for name, content in student.files:
                write(os.path.join(folder, name), content)
    elif layout == "gradescope":
        top = os.path.join(base, b"gradescope")
        os.makedirs(top, exist_ok=True)
        metadata = {}
        for number, student in enumerate(students):
            key = f"submission_{100 + number}"
            os.makedirs(os.path.join(top, os.fsencode(key)), exist_ok=True)
            for name, content in student.files:
                write(os.path.join(top, os.fsencode(key), name), content)
            submitter = {":name": _text(student.name), ":sid": _text(student.id)}
            metadata[key] = {":submitters": [submitter], ":created_at": SUBMITTED_AT}
        write(os.path.join(top, b"submission_metadata.yml"), yaml.safe_dump(metadata).encode())
    else:
        raise ValueError(layout)
    return Path(os.fsdecode(top))


def _text(name: bytes) -> str:
    """A name as YAML text (which cannot hold bytes that are not UTF-8)."""
    return name.decode("utf-8", errors="replace")
