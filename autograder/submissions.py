"""Finding who submitted what: nbgrader courses, folders, LMS zips and single notebooks.

Student ids come from where a notebook sits (nbgrader's `submitted/<student>/<assignment>/`)
or from its file name (`<student>.ipynb`), never from parsing names with patterns. A student
whose folder holds no notebook still gets a row, so nobody silently disappears.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .lesson import ASSIGNMENT
from .student_ids import student_id

MAX_ZIP_MEMBER_BYTES = 20 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3


class UsageError(Exception):
    """The command line names something that cannot be graded; nothing was graded."""


@dataclass(frozen=True)
class Submission:
    student: str
    notebook: Path | None  # None: the student's folder holds no notebook
    problem: str = ""  # why there is no notebook to grade


@dataclass(frozen=True)
class Batch:
    submissions: list[Submission]
    course_root: Path | None  # set when the input is an nbgrader course's submitted/ tree


def _notebooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".ipynb" and p.is_file())


def _is_submitted_tree(folder: Path) -> bool:
    students = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return bool(students) and all((p / ASSIGNMENT).is_dir() for p in students)


def _from_submitted_tree(folder: Path) -> list[Submission]:
    found = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if student_dir.name.startswith("."):
            continue
        notebooks = _notebooks(student_dir / ASSIGNMENT)
        preferred = student_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        student = student_id(student_dir.name)
        if preferred in notebooks:
            found.append(Submission(student, preferred))
        elif len(notebooks) == 1:
            found.append(Submission(student, notebooks[0]))
        elif notebooks:
            names = ", ".join(p.name for p in notebooks)
            found.append(
                Submission(
                    student,
                    None,
                    f"several notebooks and none named {ASSIGNMENT}.ipynb: {names}",
                )
            )
        else:
            found.append(Submission(student, None, "no notebook was submitted"))
    return found


def _from_folder(folder: Path) -> list[Submission]:
    if _is_submitted_tree(folder):
        return _from_submitted_tree(folder)
    notebooks = _notebooks(folder)
    if not notebooks:
        raise UsageError(f"{folder} holds no notebooks and is not an nbgrader submitted/ folder")
    return [Submission(student_id(path.stem), path) for path in notebooks]


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
            found = [Submission(student_id(path.stem), path)]
        else:
            raise UsageError(f"{path} is not a notebook, a folder or a .zip")
        submissions.extend(found)
    seen: dict[str, Submission] = {}
    for submission in submissions:
        if submission.student in seen:
            raise UsageError(
                f"student {submission.student!r} appears twice: "
                f"{seen[submission.student].notebook} and {submission.notebook}"
            )
        seen[submission.student] = submission
    return Batch(submissions=submissions, course_root=course_root)
