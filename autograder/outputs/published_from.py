"""A `grade` run whose outputs are already what its records make publishes nothing again.

Publishing reads every student's row and remakes every class file; in a class of thousands
where nothing changed, that is most of a run. So after publishing, the versions of every file
the writers read and write are noted (as a few digests), with the class summary the terminal
showed and the list of outputs. A later run that finds the same versions, under the same
settings and grader, prints what was noted and writes nothing.

The versions are: each student's record; in a course, each student's submitted notebook and
secret (read), autograded notebook and the secret and timestamp beside their page (written),
and whether the gradebook is as the kit left it; every file kept at the top of the output
folder (the class files and the writers' own notes) but the run's own file, which every run
rewrites; the class, the hidden checks, the Canvas roster as read, Moodle's worksheet asked
for or not, and the grader (its code and the release). Any change to any of them, by the kit
or by hand, publishes again. A file the kit reads that is still settling
(`atomic.input_version`) vouches for nothing, and neither does a damaged note. The time a run
took is not a version: a class report is remade when the class changes, not when the clock
does.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from autograder.atomic import input_version, output_version, write_atomically
from autograder.batch.store import RUN_FILE, RecordStore
from autograder.outputs.autograded import autograded_path
from autograder.outputs.class_summary import ClassSummary
from autograder.outputs.feedback_release import released_files, submitted_secret
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.outputs.publish import Published, publish, rows

FILE = "published-from.json"

Written = list[tuple[str, Path]]


def publish_class(
    store: RecordStore, run: Published, grader_hash: str
) -> tuple[ClassSummary, Written]:
    """The class summary and the outputs (label, path) of publishing `run` without pages:
    as noted, when every file publishing reads and writes is as the last publish left it;
    else written now, and noted."""
    note = run.out_dir / FILE
    kept = _kept(note, _versions(store, run, grader_hash))
    if kept is not None:
        return kept
    found = rows(store, run)
    written = publish(store, run, found, pages=False)
    summary = ClassSummary.of(found)
    versions = list(_versions(store, run, grader_hash))
    if None in versions:
        note.unlink(missing_ok=True)
    else:
        document = {
            "versions": versions,
            "summary": summary.to_json(),
            "written": [[label, str(path)] for label, path in written],
        }
        write_atomically(note, json.dumps(document), durable=False)
    return summary, written


def _kept(note: Path, versions: Iterator[str | None]) -> tuple[ClassSummary, Written] | None:
    """What the note keeps, if it was taken at `versions` (compared a part at a time, so
    that a changed record spares looking at the rest); None when it was not, or is damaged."""
    try:
        raw = json.loads(note.read_bytes())
        noted = raw["versions"]
        if not isinstance(noted, list) or not all(
            part is not None and part == noted_part
            for part, noted_part in zip(versions, noted, strict=True)
        ):
            return None
        summary = ClassSummary.from_json(raw["summary"])
        written = []
        for label, path in raw["written"]:
            if not (isinstance(label, str) and isinstance(path, str)):
                return None
            written.append((label, Path(path)))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return summary, written


def _versions(store: RecordStore, run: Published, grader_hash: str) -> Iterator[str | None]:
    """Digests of the versions of everything publishing `run` reads and writes (see the
    module's docstring), in parts, the cheapest first: the settings and the class files, the
    records, the course's files. A part is None when a file in it is still settling or
    cannot be known."""
    settings = {
        "grader": grader_hash,
        "students": run.students,
        "checks": [asdict(check) for check in run.checks],
        "course": str(run.course_root) if run.course_root else None,
        "canvas": asdict(run.canvas) if run.canvas else None,
        "moodle": run.moodle,
    }
    yield _digest([settings, _class_files(run.out_dir)])
    yield _digest([output_version(store.record_file(student)) for student in run.students])
    if run.course_root is not None:
        course = _course_files(run, run.course_root)
        yield None if course is None else _digest(course)


def _digest(versions: list[Any]) -> str:
    return hashlib.sha256(json.dumps(versions, default=str).encode()).hexdigest()


def _class_files(out_dir: Path) -> list[list[Any]]:
    """Each file at the top of the output folder but the run's own and this note, by name,
    with its version."""
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name in (RUN_FILE, FILE) or not entry.is_file(follow_symlinks=False):
            continue
        seen = entry.stat(follow_symlinks=False)
        found.append([entry.name, seen.st_ino, seen.st_mtime_ns, seen.st_size])
    return sorted(found)


def _course_files(run: Published, course_root: Path) -> list[Any] | None:
    """The versions of each student's files in the course that publishing reads (submitted
    notebook and secret) and writes (autograded notebook, released secret and timestamp), and
    whether the gradebook is as the kit left it; None when a file read is settling, or a
    submission is not a file here."""
    if run.submissions is None:
        return None
    versions: list[Any] = [GradebookStamp.of(course_root, run.out_dir).untouched()]
    for submission in run.submissions:
        student = submission.student
        if isinstance(submission.notebook, bytes):
            return None
        secret = submitted_secret(course_root, student)
        read = [input_version(submission.notebook), input_version(secret)]
        if None in read:
            return None
        written = [output_version(path) for path in released_files(course_root, student)]
        written.append(output_version(autograded_path(course_root, student)))
        versions.append([student, read, written])
    return versions
