"""Student ids from the downloads learning-management systems make.

- Canvas's bulk download names each file `<lastfirst>_<user id>_<submission id>_<file>`, with
  `_LATE` after the name when the submission was late. The id is Canvas's user id, which its
  gradebook import matches.
- Moodle's assignment download makes a folder per participant and plugin,
  `<Full Name>_<participant id>_assignsubmission_<plugin>_`: a participant who handed in a
  file and online text has two. The id is the participant id.
- Gradescope's submission export holds `submission_metadata.yml` and a folder
  `submission_<id>/` per submission; the metadata names each submitter (`:sid:`, `:email:`,
  `:name:`) and when they submitted. Every submitter of a group submission gets a row.

Each layout gives each student's files (`Found`) and the lines of what belongs to no student
(a name that breaks its layout's pattern, a submission whose metadata names nobody): nothing
is graded under a guessed id, and nothing in a download stops the others being graded. Only
metadata that cannot be read at all is refused (`LayoutError`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from autograder.intake.handed_in import Found, Place, entry, is_folder, walk
from autograder.intake.times import parse_time

CANVAS_NAME = re.compile(
    r"^(?P<name>[^_]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)$", re.DOTALL
)
MOODLE_FOLDER = re.compile(
    r"^(?P<name>.+)_(?P<participant>\d+)_assign(?P<kind>submission|feedback)_\w+$", re.DOTALL
)
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 5 * 1024 * 1024


class LayoutError(ValueError):
    """A download's description of itself cannot be read; the message says where."""


def is_canvas(paths: list[Path]) -> bool:
    return any(CANVAS_NAME.match(path.name) for path in paths)


def canvas(place: Place, paths: list[Path]) -> tuple[list[Found], list[str]]:
    """(students found, skipped lines) in a Canvas bulk download's top-level `paths`."""
    found: list[Found] = []
    skipped = []
    for path in paths:
        match = CANVAS_NAME.match(path.name)
        if is_folder(path):
            skipped.append(place.skipped(path, "a folder in a Canvas download"))
        elif match is None:
            skipped.append(place.skipped(path, "its name does not follow Canvas's naming"))
        else:
            handed = entry(path, match["file"])
            late = match["late"] is not None
            found.append(Found(match["user"], (handed,), path, match["name"], late=late))
    return found, skipped


def is_moodle(paths: list[Path]) -> bool:
    return any(MOODLE_FOLDER.match(path.name) for path in paths)


def moodle(place: Place, paths: list[Path]) -> tuple[list[Found], list[str]]:
    """(students found, skipped lines) in a Moodle download's top-level `paths`: one Found
    per participant folder (`submissions` joins a participant's folders)."""
    found, skipped = [], []
    for path in paths:
        match = MOODLE_FOLDER.match(path.name)
        if match is None:
            skipped.append(place.skipped(path, "not a Moodle participant folder"))
        elif not is_folder(path):
            skipped.append(place.skipped(path, entry(path, path.name).unusable))
        elif match["kind"] == "feedback":
            skipped.append(place.skipped(path, "a Moodle feedback folder, not a submission"))
        else:
            found.append(Found(match["participant"], tuple(walk(path)), path, match["name"]))
    return found, skipped


def gradescope(place: Place, paths: list[Path]) -> tuple[list[Found], list[str]]:
    """(students found, skipped lines) in a Gradescope export; `LayoutError` when its
    metadata cannot be read."""
    metadata = _metadata(place.root / GRADESCOPE_METADATA)
    folders = {path.name: path for path in paths if is_folder(path)}
    found, skipped = [], []
    described = set()
    for key, submission in metadata.items():
        folder = folders.get(str(key))
        where = f"{GRADESCOPE_METADATA}: {str(key)[:80]!r}"
        if not isinstance(submission, dict):
            skipped.append(place.skipped(place.root, f"{where} is not a submission's description"))
            continue
        submitters, problems = _submitters(submission.get(":submitters"))
        skipped += [place.skipped(place.root, f"{where}: {problem}") for problem in problems]
        if folder is None:
            skipped.append(place.skipped(place.root, f"{where} names no folder of the export"))
            continue
        described.add(folder.name)
        if not submitters:
            skipped.append(place.skipped(folder, "its metadata names no submitter"))
            continue
        files = tuple(walk(folder))
        submitted_at = _time(submission.get(":created_at"))
        if submitted_at is None and submission.get(":created_at") is not None:
            skipped.append(place.skipped(place.root, f"{where}: its :created_at is not a time"))
        found += [Found(sid, files, folder, name, submitted_at) for sid, name in submitters]
    for path in paths:
        if path.name == GRADESCOPE_METADATA or path.name in described:
            continue
        skipped.append(place.skipped(path, "not described by the export's metadata"))
    return found, skipped


def _metadata(path: Path) -> dict[Any, Any]:
    import yaml

    class TimesAsText(yaml.SafeLoader):
        """YAML without its dates: a submission time is read by `parse_time`, so that a
        date Python cannot hold (year 0) is one submission's problem, not the file's."""

    TimesAsText.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if not tag.endswith(":timestamp")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        if path.stat().st_size > MAX_METADATA_BYTES:
            raise LayoutError(f"{path} is larger than a submission export's metadata can be")
        metadata = yaml.load(path.read_text(encoding="utf-8"), Loader=TimesAsText)
    except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError) as error:
        raise LayoutError(f"{path} is not readable YAML ({str(error)[:200]})") from None
    if not isinstance(metadata, dict):
        raise LayoutError(f"{path} does not map submissions to their submitters")
    return metadata


def _submitters(people: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """((id, name) of each submitter who has an id, problems with the others)."""
    if not isinstance(people, list):
        return [], ["its :submitters is not a list"]
    found, problems = [], []
    for number, person in enumerate(people, start=1):
        identity = person.get(":sid") or person.get(":email") if isinstance(person, dict) else None
        if identity is None or isinstance(identity, (dict, list)) or not str(identity).strip():
            problems.append(f"submitter {number} has neither sid nor email")
            continue
        found.append((str(identity).strip(), str(person.get(":name") or "")))
    return found, problems


def _time(raw: Any) -> str | None:
    return parse_time(str(raw)) if isinstance(raw, (str, int, float)) else None
