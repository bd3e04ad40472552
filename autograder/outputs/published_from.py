"""A `grade` run whose outputs are already what its records make publishes nothing again, and
one that graded a few students looks again only at theirs.

Publishing reads every student's row and remakes every class file; in a class of thousands
where nothing changed, that is most of a run. So after publishing, the versions of every file
the writers read and write are noted: as three digests in `published-from.json`, with the
class summary the terminal showed and the list of outputs, and student by student in
`published-students.json`. A later run that finds the same digests prints what was noted and
writes nothing. A run that finds something changed (one student graded again, a file of
another's edited by hand) publishes, and the writers of each student's own files (autograded
notebooks, the files beside the pages) pass over the students whose files are all as the last
publish left them (`PublishedVersions.settled`).

The versions are: for each student, their record and, in a course, their submitted notebook
and secret (read), autograded notebook and the secret and timestamp beside their page
(written); for every student's files, the grader (its code and the release), the course and
the hidden checks; for the class files, every file kept at the top of the output folder (the
class files and the writers' own notes) but the run's own file and these two notes, the class
in order, the Canvas roster as read, Moodle's worksheet asked for or not, and whether the
gradebook is as the kit left it. Any change to any of them, by the kit or by hand, publishes
again. A file the kit reads that is still settling (`atomic.input_version`) vouches for
nothing, and neither does a damaged note. The time a run took is not a version: a class
report is remade when the class changes, not when the clock does.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from autograder.atomic import input_version, output_version, stat_version, write_atomically
from autograder.batch.store import RUN_FILE, RecordStore
from autograder.outputs.autograded import autograded_path
from autograder.outputs.class_summary import ClassSummary
from autograder.outputs.feedback_release import released_files, submitted_secret
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.outputs.publish import Published, publish, rows

FILE = "published-from.json"  # digests of the versions, the class summary, the outputs
STUDENTS_FILE = "published-students.json"  # each student's versions, read once one changed

Written = list[tuple[str, Path]]
StudentVersions = list[Any] | None  # [record, course files] or [record]; None: unknown now


@dataclass(frozen=True)
class NotedStudents:
    """Each student's versions as the last publish left them, and the grader's digest then."""

    grader: str
    students: dict[str, StudentVersions]

    def to_json(self) -> dict[str, Any]:
        return {"grader": self.grader, "students": self.students}

    @classmethod
    def read(cls, path: Path) -> NotedStudents | None:
        """The noted versions; None when there are none or they are damaged."""
        try:
            raw = json.loads(path.read_bytes())
            grader, students = raw["grader"], raw["students"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None
        if not isinstance(grader, str) or not isinstance(students, dict):
            return None
        if not all(
            versions is None or isinstance(versions, list) for versions in students.values()
        ):
            return None
        return cls(grader, students)


@dataclass(frozen=True)
class PublishedVersions:
    """The versions publishing depends on, in the parts a run compares (see the module's
    docstring); a student's are None when a file of theirs is settling or cannot be known."""

    grader: str  # digest: the grader, the course and the checks each student's files are made by
    class_files: str  # digest: the files atop the output folder, the class in order, Canvas,
    # Moodle, and the gradebook's state
    students: dict[str, StudentVersions]

    @classmethod
    def now(cls, store: RecordStore, run: Published, grader_hash: str) -> PublishedVersions:
        versions = _StudentFiles(store, run)
        return cls(
            _grader(run, grader_hash),
            _class_files(run),
            {student: versions.of(student) for student in run.students},
        )

    def remeasured(
        self, store: RecordStore, run: Published, settled: frozenset[str]
    ) -> PublishedVersions:
        """These versions after publishing, which wrote the class files and the files of
        the students not `settled`: those are taken again, the settled students' and the
        grader's kept."""
        files = _StudentFiles(store, run)
        students = {
            student: versions if student in settled else files.of(student)
            for student, versions in self.students.items()
        }
        return PublishedVersions(self.grader, _class_files(run), students)

    def known(self) -> bool:
        return None not in self.students.values()

    def digests(self) -> list[str]:
        """All the versions in three digests: what tells a run, cheaply, that nothing
        publishing reads or writes changed (while every version is `known`)."""
        return [self.grader, self.class_files, _digest(list(self.students.items()))]

    def noted_students(self) -> NotedStudents:
        return NotedStudents(self.grader, self.students)

    def settled(self, noted: NotedStudents | None) -> frozenset[str]:
        """The students whose own files are all as `noted`, under the same grader and checks:
        nothing of theirs needs looking at again. The class files are not theirs: they are
        made again from every student's row whenever anything changed."""
        if noted is None or noted.grader != self.grader:
            return frozenset()
        return frozenset(
            student
            for student, versions in self.students.items()
            if versions is not None and noted.students.get(student) == versions
        )


def publish_class(
    store: RecordStore, run: Published, grader_hash: str
) -> tuple[ClassSummary, Written]:
    """The class summary and the outputs (label, path) of publishing `run` without pages:
    as noted, when every file publishing reads and writes is as the last publish left it;
    else written now (each student's own files only where they changed), and noted."""
    note, students_note = run.out_dir / FILE, run.out_dir / STUDENTS_FILE
    now = PublishedVersions.now(store, run, grader_hash)
    kept = _kept(note)
    if kept is not None and now.known() and kept[0] == now.digests():
        return kept[1], kept[2]
    settled = now.settled(NotedStudents.read(students_note))
    found = rows(store, run)
    written = publish(store, replace(run, settled=settled), found, pages=False)
    summary = ClassSummary.of(found)
    after = now.remeasured(store, run, settled)
    write_atomically(students_note, json.dumps(after.noted_students().to_json()), durable=False)
    if not after.known():
        note.unlink(missing_ok=True)
    else:
        document = {
            "versions": after.digests(),
            "summary": summary.to_json(),
            "written": [[label, str(path)] for label, path in written],
        }
        write_atomically(note, json.dumps(document), durable=False)
    return summary, written


def _kept(note: Path) -> tuple[list[str], ClassSummary, Written] | None:
    """What the note keeps: the digests of the versions it was taken at, the class summary
    and the outputs; None when there is none or it is damaged."""
    try:
        raw = json.loads(note.read_bytes())
        digests = raw["versions"]
        if not isinstance(digests, list) or not all(isinstance(each, str) for each in digests):
            return None
        summary = ClassSummary.from_json(raw["summary"])
        written = []
        for label, path in raw["written"]:
            if not (isinstance(label, str) and isinstance(path, str)):
                return None
            written.append((label, Path(path)))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    return digests, summary, written


def _grader(run: Published, grader_hash: str) -> str:
    """What every student's own files are made by: the grader, the course and the checks."""
    settings = {
        "grader": grader_hash,
        "course": str(run.course_root) if run.course_root else None,
        "checks": [asdict(check) for check in run.checks],
    }
    return _digest([settings])


def _class_files(run: Published) -> str:
    """What only the class files depend on, and the files themselves: every file atop the
    output folder, the class in order, the Canvas roster, Moodle's worksheet asked for or
    not, and whether the gradebook is as the kit left it."""
    gradebook = (
        GradebookStamp.of(run.course_root, run.out_dir).untouched()
        if run.course_root is not None
        else None
    )
    settings = {
        "students": run.students,
        "canvas": asdict(run.canvas) if run.canvas else None,
        "moodle": run.moodle,
        "gradebook": gradebook,
    }
    return _digest([settings, _files_atop(run.out_dir)])


def _digest(versions: list[Any]) -> str:
    return hashlib.sha256(json.dumps(versions, default=str).encode()).hexdigest()


def _files_atop(out_dir: Path) -> list[list[Any]]:
    """Each file at the top of the output folder but the run's own and these notes, by name,
    with its version."""
    try:
        entries = list(os.scandir(out_dir))
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.name in (RUN_FILE, FILE, STUDENTS_FILE) or not entry.is_file(
            follow_symlinks=False
        ):
            continue
        found.append([entry.name, *stat_version(entry.stat(follow_symlinks=False))])
    return sorted(found)


class _StudentFiles:
    """The versions of each student's own files, as publishing reads and writes them."""

    def __init__(self, store: RecordStore, run: Published) -> None:
        self.store, self.course_root = store, run.course_root
        submissions = run.submissions
        self.submissions = (
            None if submissions is None else {each.student: each for each in submissions}
        )

    def of(self, student: str) -> StudentVersions:
        """Their record and, in a course, the files that publishing reads (submitted notebook
        and secret) and writes (autograded notebook, released secret and timestamp); None
        when a file read is settling, or the submissions or their notebook are not files
        here."""
        record = output_version(self.store.record_file(student))
        if self.course_root is None:
            return [record]
        if self.submissions is None:
            return None
        submission = self.submissions.get(student)
        notebook = submission.notebook if submission is not None else None
        if isinstance(notebook, bytes):
            return None
        read = [input_version(notebook), input_version(submitted_secret(self.course_root, student))]
        if None in read:
            return None
        written = [output_version(path) for path in released_files(self.course_root, student)]
        written.append(output_version(autograded_path(self.course_root, student)))
        return [record, read, written]
