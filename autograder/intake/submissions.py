"""Finding who submitted what: nbgrader courses, LMS downloads, folders, zips and notebooks.

Student ids come from where a notebook sits: nbgrader's `submitted/<student>/<assignment>/`,
an LMS download's own naming (see `lms`), or a plain `<student>.ipynb`. Every id passes through
`ids.student_id`, so any bytes a name holds give a safe, distinct id. A student whose
files hold no notebook still gets a row, so nobody silently disappears; a file that belongs to
no student (a `.py` beside the notebooks, a name that breaks its LMS's pattern) is listed as
skipped with the reason, never graded under a guessed id.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.exercise import ASSIGNMENT
from autograder.intake import lms
from autograder.intake.ids import student_id

MAX_ZIP_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3
MAX_TIMESTAMP_BYTES = 200


class UsageError(Exception):
    """The command line names something that cannot be graded; nothing was graded."""


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
        """What was handed in, as a hash: grading again is needed only when it changes."""
        digest = hashlib.sha256()
        if self.notebook is None:
            digest.update(b"no notebook: " + self.problem.encode("utf-8", "replace"))
        elif isinstance(self.notebook, bytes):
            digest.update(self.notebook)
        else:
            with self.notebook.open("rb") as stream:
                for chunk in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(chunk)
        return digest.hexdigest()


@dataclass(frozen=True)
class Batch:
    submissions: list[Submission]
    course_root: Path | None  # set when the input is an nbgrader course's submitted/ tree
    skipped: list[str] = field(default_factory=list)  # files that are no submission, and why


def _notebooks(files: list[Path]) -> list[Path]:
    return sorted(p for p in files if p.suffix == ".ipynb" and p.is_file())


def _chosen(student: str, files: list[Path], original: Path, **details: object) -> Submission:
    """The one notebook among a student's files: the only one, or the one named after the
    assignment; several others are a problem the student's row reports."""
    notebooks = _notebooks(files)
    preferred = [p for p in notebooks if _plain_stem(p).startswith(ASSIGNMENT)]
    if len(notebooks) == 1 or len(preferred) == 1:
        notebook = notebooks[0] if len(notebooks) == 1 else preferred[0]
        return Submission(student, notebook, original=_shown(original, notebook), **details)
    if notebooks:
        names = ", ".join(p.name for p in notebooks)
        problem = f"several notebooks and none clearly {ASSIGNMENT}.ipynb: {names}"
    else:
        problem = "no notebook was submitted"
    return Submission(student, None, problem, original=str(original), **details)


def submission_in(folder: Path, student: str) -> Submission:
    """The submission of one student whose files are all in `folder` (a Gradescope
    autograder's `submission/`, subfolders included), chosen as for every student of a class;
    hidden files and folders (`.ipynb_checkpoints`) and macOS's `__MACOSX` are not theirs."""
    files = [
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(
            part.startswith(".") or part == "__MACOSX" for part in path.relative_to(folder).parts
        )
    ]
    return _chosen(student, files, folder)


def _plain_stem(path: Path) -> str:
    """The stem an LMS started from: `smith_12_34_gradient_descent-1.ipynb` -> the last part."""
    match = lms.CANVAS_NAME.match(path.name)
    return Path(match["file"]).stem if match else path.stem


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return path.name


def _is_submitted_tree(folder: Path) -> bool:
    students = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return bool(students) and all((p / ASSIGNMENT).is_dir() for p in students)


def _from_submitted_tree(folder: Path) -> Batch:
    found = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if student_dir.name.startswith("."):
            continue
        assignment = student_dir / ASSIGNMENT
        files = list(assignment.iterdir())
        found.append(
            _chosen(
                student_id(student_dir.name),
                files,
                folder,
                submitted_at=_timestamp(assignment / "timestamp.txt"),
            )
        )
    return Batch(found, course_root=None)


def _timestamp(path: Path) -> str | None:
    """nbgrader's record of when the student submitted, if it is there and a time."""
    try:
        with path.open("rb") as stream:
            text = stream.read(MAX_TIMESTAMP_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    return lms.parse_time(text)


def _from_lms(found: list[lms.Found], root: Path, strangers: list[Path], why: str) -> Batch:
    submissions = [
        _chosen(
            student_id(each.student),
            list(each.files),
            root,
            name=each.name,
            submitted_at=each.submitted_at,
            late=each.late,
        )
        for each in found
    ]
    skipped = [f"{_shown(root, path)}: {why}" for path in strangers]
    return Batch(submissions, None, skipped)


def _from_folder(folder: Path) -> Batch:
    if _is_submitted_tree(folder):
        return _from_submitted_tree(folder)
    entries = sorted(folder.iterdir())
    folders = [p for p in entries if p.is_dir() and p.name != "__MACOSX"]
    files = [p for p in entries if p.is_file() and not p.name.startswith(".")]
    try:
        if (folder / lms.GRADESCOPE_METADATA).is_file():
            found, strangers = lms.gradescope(folder)
            return _from_lms(found, folder, strangers, "not described by the export's metadata")
    except lms.LayoutError as error:
        raise UsageError(str(error)) from None
    if lms.is_moodle(folders):
        found, strangers = lms.moodle(folders)
        batch = _from_lms(found, folder, strangers, "not a Moodle participant folder")
        return Batch(batch.submissions, None, batch.skipped + _not_notebooks(folder, files))
    if lms.is_canvas(files):
        found, strangers = lms.canvas(files)
        return _from_lms(found, folder, strangers, "its name does not follow Canvas's naming")
    notebooks = _notebooks(files)
    if not notebooks:
        raise UsageError(f"{folder} holds no notebooks and is not an nbgrader submitted/ folder")
    submissions = [Submission(student_id(p.stem), p, original=_shown(folder, p)) for p in notebooks]
    others = [p for p in files if p.suffix != ".ipynb"]
    skipped = _not_notebooks(folder, others)
    skipped += [f"{_shown(folder, p)}: a folder inside a folder of notebooks" for p in folders]
    return Batch(submissions, None, skipped)


def _not_notebooks(root: Path, files: list[Path]) -> list[str]:
    return [f"{_shown(root, p)}: not a notebook" for p in files if p.suffix != ".ipynb"]


def _safe_extract(archive: Path, into: Path) -> Path:
    """Unpack a zip, refusing members that escape the folder or that are absurdly large."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            if sum(member.file_size for member in members) > MAX_ZIP_TOTAL_BYTES:
                raise UsageError(f"{archive} unpacks to more than {MAX_ZIP_TOTAL_BYTES} bytes")
            for member in members:
                name = PurePosixPath(member.filename)
                if name.is_absolute() or ".." in name.parts or member.filename.startswith("\\"):
                    raise UsageError(f"{archive} has an unsafe member name {member.filename!r}")
                if member.is_dir() or name.parts[0] == "__MACOSX":
                    continue
                if member.file_size > MAX_ZIP_MEMBER_BYTES:
                    raise UsageError(f"{archive}: {member.filename} is too large")
                target = into.joinpath(*name.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink)
    except zipfile.BadZipFile:
        raise UsageError(f"{archive} is not a readable zip file") from None
    entries = [p for p in into.iterdir() if p.name != "__MACOSX"]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into


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
            found = _from_folder(path)
            if _is_submitted_tree(path) and path.name == "submitted":
                course_root = path.resolve().parent
        elif path.suffix == ".zip":
            unpacked = Path(tempfile.mkdtemp(prefix="unzipped-", dir=scratch))
            found = _from_folder(_safe_extract(path, unpacked))
        elif path.suffix == ".ipynb":
            found = Batch([Submission(student_id(path.stem), path, original=path.name)], None)
        else:
            raise UsageError(f"{path} is not a notebook, a folder or a .zip")
        submissions.extend(found.submissions)
        skipped.extend(found.skipped)
    seen: dict[str, Submission] = {}
    for submission in submissions:
        if submission.student in seen:
            raise UsageError(
                f"student {submission.student!r} appears twice: "
                f"{seen[submission.student].original} and {submission.original}"
            )
        seen[submission.student] = submission
    return Batch(submissions=submissions, course_root=course_root, skipped=skipped)
