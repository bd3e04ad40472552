"""Student ids from the downloads learning-management systems make.

- Canvas's bulk download names each file `<lastfirst>_<user id>_<submission id>_<file>`, with
  `_LATE` after the name when the submission was late. The id is Canvas's user id, which its
  gradebook import matches.
- Moodle's assignment download makes a folder per participant,
  `<Full Name>_<participant id>_assignsubmission_file_`. The id is the participant id.
- Gradescope's submission export holds `submission_metadata.yml` and a folder
  `submission_<id>/` per submission; the metadata names each submitter (`:sid:`, `:email:`,
  `:name:`) and when they submitted. Every submitter of a group submission gets a row.

A name that does not follow its layout is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CANVAS_NAME = re.compile(
    r"^(?P<name>[^_]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$"
)
MOODLE_FOLDER = re.compile(r"^(?P<name>.+)_(?P<participant>\d+)_assign(?:submission|feedback)_\w+$")
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 5 * 1024 * 1024


class LayoutError(ValueError):
    """A download claims a layout but does not keep to it; the message says where."""


@dataclass(frozen=True)
class Found:
    """One student's files in a download, before the notebook among them is chosen."""

    student: str
    files: tuple[Path, ...]
    name: str = ""
    submitted_at: str | None = None
    late: bool = False


def canvas(files: list[Path]) -> tuple[list[Found], list[Path]]:
    """(students found, files whose names are not Canvas's) in a Canvas bulk download."""
    by_user: dict[str, list[tuple[Path, re.Match[str]]]] = {}
    strangers = []
    for path in files:
        match = CANVAS_NAME.match(path.name)
        if match:
            by_user.setdefault(match["user"], []).append((path, match))
        else:
            strangers.append(path)
    found = [
        Found(
            student=user,
            files=tuple(path for path, _ in matches),
            name=matches[0][1]["name"],
            late=any(match["late"] for _, match in matches),
        )
        for user, matches in sorted(by_user.items())
    ]
    return found, strangers


def is_canvas(files: list[Path]) -> bool:
    return any(CANVAS_NAME.match(path.name) for path in files)


def moodle(folders: list[Path]) -> tuple[list[Found], list[Path]]:
    """(students found, folders whose names are not Moodle's) in a Moodle download."""
    found, strangers = [], []
    for folder in sorted(folders):
        match = MOODLE_FOLDER.match(folder.name)
        if not match:
            strangers.append(folder)
            continue
        files = tuple(sorted(path for path in folder.rglob("*") if path.is_file()))
        found.append(Found(student=match["participant"], files=files, name=match["name"]))
    return found, strangers


def is_moodle(folders: list[Path]) -> bool:
    return any(MOODLE_FOLDER.match(folder.name) for folder in folders)


def gradescope(folder: Path) -> tuple[list[Found], list[Path]]:
    """(students found, submission folders the metadata does not describe)."""
    import yaml

    path = folder / GRADESCOPE_METADATA
    if path.stat().st_size > MAX_METADATA_BYTES:
        raise LayoutError(f"{path} is larger than a submission export's metadata can be")
    try:
        metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise LayoutError(f"{path} is not readable YAML ({str(error)[:200]})") from None
    if not isinstance(metadata, dict):
        raise LayoutError(f"{path} does not map submissions to their submitters")
    found = []
    described = set()
    for key, entry in metadata.items():
        submission = folder / str(key)
        if not submission.is_dir() or not isinstance(entry, dict):
            raise LayoutError(f"{path} describes {key!s:.80}, which is not a submission folder")
        described.add(submission)
        files = tuple(sorted(p for p in submission.rglob("*") if p.is_file()))
        for submitter in _submitters(entry, path, key):
            found.append(
                Found(
                    student=submitter["id"],
                    files=files,
                    name=submitter["name"],
                    submitted_at=_time(entry.get(":created_at")),
                )
            )
    strangers = [p for p in folder.iterdir() if p.is_dir() and p not in described]
    return found, sorted(strangers)


def _submitters(entry: dict[str, Any], path: Path, key: Any) -> list[dict[str, str]]:
    people = entry.get(":submitters")
    if not isinstance(people, list) or not people:
        raise LayoutError(f"{path}: {key!s:.80} names no submitters")
    found = []
    for person in people:
        if not isinstance(person, dict):
            raise LayoutError(f"{path}: a submitter of {key!s:.80} is not described")
        identity = person.get(":sid") or person.get(":email")
        if identity is None or str(identity).strip() == "":
            raise LayoutError(f"{path}: a submitter of {key!s:.80} has neither sid nor email")
        found.append({"id": str(identity).strip(), "name": str(person.get(":name") or "")})
    return found


def _time(raw: Any) -> str | None:
    return parse_time(str(raw)) if raw is not None else None


def parse_time(text: str) -> str | None:
    """An ISO 8601 time from the ways nbgrader and the LMSs write one (`2026-11-20
    10:22:11.123456 UTC`, `2026-11-20 10:22:11 -0800`, ...); None when it is not a time."""
    import dateutil.parser
    import dateutil.tz

    parts = text.strip().split(" ")
    try:
        if len(parts) == 3 and not parts[2].lstrip("+-").isdigit():
            zone = dateutil.tz.gettz(parts[2])
            moment = dateutil.parser.parse(" ".join(parts[:2])).replace(tzinfo=zone)
        else:
            moment = dateutil.parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dateutil.tz.UTC)
    return moment.astimezone(dateutil.tz.UTC).isoformat()
