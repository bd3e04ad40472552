"""Finding who submitted what: nbgrader courses, LMS downloads, folders, zips and notebooks.

A folder given to `grade` is recognised by its own layout, tried in this order: a Gradescope
export (its `submission_metadata.yml`), a Moodle download (participant folders), nbgrader's
`submitted/` (student folders holding the assignment's folder), a Canvas download (its file
names), else a folder of `<student>.ipynb`. Each layout says whose files are whose
(`lms`, `course_tree`); one rule then picks each student's notebook (`choice`), and every id
passes through `ids.student_id`. A student whose files hold no notebook still gets a row, so
nobody silently disappears; whatever belongs to no student, or is not graded, is listed as
skipped with the reason, never graded under a guessed id. Nothing a student handed in stops
the class being graded: only a command line naming something that cannot be graded at all is
refused (`UsageError`).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from autograder.intake import course_tree, lms
from autograder.intake.archive import ArchiveError, unpack
from autograder.intake.choice import HIDDEN, choose, copy_of, is_notebook
from autograder.intake.handed_in import Found, Place, entry, is_folder, listing, walk
from autograder.intake.ids import student_id
from autograder.usage import UsageError


@dataclass(frozen=True)
class Submission:
    student: str
    # where the notebook is, or its bytes when it travels to a worker on another machine;
    # None: the student's files hold no notebook to grade
    notebook: Path | bytes | None
    problem: str = ""  # why there is no notebook to grade
    original: str = ""  # the file's name where it was found, as the grader handed it in
    name: str = ""  # the student's name, where the download gives one
    submitted_at: str | None = None  # ISO 8601, from nbgrader's timestamp.txt or the LMS
    late: bool = False  # the LMS marked the submission late

    def content_hash(self) -> str:
        """What was handed in, as a hash: grading again is needed only when it changes. A
        file that cannot be read hashes as what its reading said (its row will say it too)."""
        digest = hashlib.sha256()
        if self.notebook is None:
            digest.update(b"no notebook: " + self.problem.encode("utf-8", "replace"))
        elif isinstance(self.notebook, bytes):
            digest.update(self.notebook)
        else:
            try:
                with self.notebook.open("rb") as stream:
                    for chunk in iter(lambda: stream.read(1 << 20), b""):
                        digest.update(chunk)
            except OSError as error:
                return hashlib.sha256(f"unreadable: {error.strerror}".encode()).hexdigest()
        return digest.hexdigest()


@dataclass(frozen=True)
class Batch:
    submissions: list[Submission]
    course_root: Path | None  # set when the input is an nbgrader course's submitted/ tree
    skipped: list[str] = field(default_factory=list)  # what is no submission, and why


def submission_of(found: Found, place: Place) -> tuple[Submission, list[str]]:
    """One student's submission, with the notebook `choice` picks, and the skipped lines
    for what was not graded."""
    choice = choose(found.files)
    skipped = [place.skipped(each.path, f"not graded: {why}") for each, why in choice.passed_over]
    notebook = choice.notebook.path if choice.notebook else None
    return (
        Submission(
            student_id(found.student),
            notebook,
            choice.problem,
            original=place.shown(notebook or found.where),
            name=found.name,
            submitted_at=found.submitted_at,
            late=found.late,
        ),
        skipped,
    )


def submission_in(folder: Path, student: str) -> Submission:
    """The submission of one student whose files are all in `folder` (a Gradescope
    autograder's `submission/`, subfolders included), chosen as for every student of a
    class."""
    submission, _ = submission_of(Found(student, tuple(walk(folder)), folder), _place(folder))
    return submission


def _place(folder: Path) -> Place:
    return Place(folder, folder.name or str(folder))


def _joined(found: Iterable[Found]) -> list[Found]:
    """One Found per student id: a student the layout lists twice (a Moodle participant's
    file and online-text folders, a Gradescope submitter of two submissions) hands in the
    files of both, and the choice among them is made once."""
    joined: dict[str, Found] = {}
    for each in found:
        key = student_id(each.student)
        earlier = joined.get(key)
        if earlier is None:
            joined[key] = each
            continue
        times = [t for t in (earlier.submitted_at, each.submitted_at) if t is not None]
        joined[key] = Found(
            earlier.student,
            earlier.files + each.files,
            earlier.where,
            earlier.name or each.name,
            max(times) if times else None,
            earlier.late or each.late,
        )
    return list(joined.values())


def _batch(
    place: Place, found: list[Found], skipped: list[str], course_root: Path | None = None
) -> Batch:
    submissions = []
    for each in sorted(_joined(found), key=lambda each: student_id(each.student)):
        submission, passed_over = submission_of(each, place)
        submissions.append(submission)
        skipped = skipped + passed_over
    return Batch(submissions, course_root, skipped)


def _from_folder(place: Place) -> Batch:
    try:
        paths = listing(place.root)
    except OSError as error:
        raise UsageError(f"{place.root} cannot be read ({error.strerror})") from None
    if any(path.name == lms.GRADESCOPE_METADATA for path in paths):
        try:
            return _batch(place, *lms.gradescope(place, paths))
        except lms.LayoutError as error:
            raise UsageError(str(error)) from None
    if lms.is_moodle(paths):
        return _batch(place, *lms.moodle(place, paths))
    if course_tree.is_submitted_tree(paths):
        found, skipped = course_tree.students(place, paths)
        course = place.root.resolve()
        return _batch(place, found, skipped, course.parent if course.name == "submitted" else None)
    if lms.is_canvas(paths):
        return _batch(place, *lms.canvas(place, paths))
    return _folder_of_notebooks(place, paths)


def _folder_of_notebooks(place: Place, paths: list[Path]) -> Batch:
    """A folder of `<student>.ipynb`: each notebook is a student, but for a copy of another
    (`ana-Copy1.ipynb` beside `ana.ipynb`), which is ana's and is listed as skipped."""
    found, skipped = [], []
    handed = [entry(path, path.name) for path in paths]
    stems = {  # the students: every notebook's but a hidden one's
        Path(each.name).stem
        for each in handed
        if is_notebook(each.name) and not each.hidden and not is_folder(each.path)
    }
    for each in handed:
        stem = Path(each.name).stem
        if is_folder(each.path):
            skipped.append(place.skipped(each.path, "a folder inside a folder of notebooks"))
        elif not is_notebook(each.name):
            skipped.append(place.skipped(each.path, "not a notebook"))
        elif each.hidden:
            skipped.append(place.skipped(each.path, f"not graded: {HIDDEN}"))
        elif copy_of(stem) != stem and copy_of(stem) in stems:
            original = f"{copy_of(stem)}{Path(each.name).suffix}"
            skipped.append(place.skipped(each.path, f"a copy of {original}, which is graded"))
        else:
            found.append(Found(stem, (each,), each.path))
    return _batch(place, found, skipped)


def _single(path: Path) -> Batch:
    """A notebook named on the command line: graded whatever its name, since it was named."""
    return Batch([Submission(student_id(path.stem), path, original=path.name)], None)


def collect(arguments: list[str], scratch: Path | None = None) -> Batch:
    """Every submission named on the command line, each student exactly once."""
    submissions: list[Submission] = []
    skipped: list[str] = []
    course_root = None
    for argument in arguments:
        path = Path(argument)
        if not path.exists():
            raise UsageError(f"{path} does not exist")
        if path.is_dir():
            found = _from_folder(_place(path))
            course_root = course_root or found.course_root
        elif path.suffix == ".zip":
            unpacked = Path(tempfile.mkdtemp(prefix="unzipped-", dir=scratch))
            try:
                root, unpacking = unpack(path, unpacked)
            except ArchiveError as error:
                raise UsageError(str(error)) from None
            found = _from_folder(Place(root, path.name))
            found = Batch(found.submissions, None, unpacking + found.skipped)
        elif path.suffix == ".ipynb":
            found = _single(path)
        else:
            raise UsageError(f"{path} is not a notebook, a folder or a .zip")
        submissions.extend(found.submissions)
        skipped.extend(found.skipped)
    if not submissions:
        first = f"; skipped {skipped[0]}" if skipped else ""
        raise UsageError(
            f"{', '.join(arguments)} holds no submission to grade (no notebook, no nbgrader "
            f"submitted/ folder, no LMS download){first}"
        )
    _refuse_repeated_students(submissions)
    return Batch(submissions=submissions, course_root=course_root, skipped=skipped)


def _refuse_repeated_students(submissions: list[Submission]) -> None:
    """Two inputs on one command line that hold the same student: the grader must say which."""
    seen: dict[str, Submission] = {}
    for submission in submissions:
        if submission.student in seen:
            raise UsageError(
                f"student {submission.student!r} appears twice: "
                f"{seen[submission.student].original} and {submission.original}"
            )
        seen[submission.student] = submission
