"""An LMS download given as its .zip, unpacked into a scratch folder.

A member that cannot be unpacked safely — a path that leaves the folder, a name too long for
the file system, a file where a folder must be, more bytes than a submission can hold,
encryption, a compression Python lacks, a damaged CRC — is listed as skipped with why, and
the rest is unpacked. Only a file that is no zip at all, or one whose
contents together exceed the caps, is refused (`ArchiveError`): no class is that large.
"""

from __future__ import annotations

import contextlib
import shutil
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from autograder.intake.handed_in import is_junk

MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024**3
MAX_MEMBERS = 200_000
# what unpacking one member can raise: a damaged or truncated member, encryption, a
# compression Python lacks, a name the file system refuses
_MEMBER_FAILURES = (
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
)


class ArchiveError(ValueError):
    """The file cannot be unpacked at all; the message says why."""


def unpack(archive: Path, into: Path) -> tuple[Path, list[str]]:
    """(the folder the download is in, skipped lines) after unpacking `archive` into `into`."""
    skipped = []
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            _refuse_size(archive, members)
            for member in members:
                problem = _unpacked(bundle, member, into)
                if problem:
                    skipped.append(f"{archive.name}/{member.filename}: {problem}")
    except (zipfile.BadZipFile, zlib.error, struct.error, ValueError, OSError, EOFError) as error:
        raise ArchiveError(f"{archive} is not a readable zip file ({str(error)[:120]})") from None
    entries = [path for path in into.iterdir() if not is_junk(path.name)]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else into
    return root, skipped


def _refuse_size(archive: Path, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise ArchiveError(f"{archive} holds more than {MAX_MEMBERS} files")
    if sum(member.file_size for member in members) > MAX_TOTAL_BYTES:
        raise ArchiveError(f"{archive} unpacks to more than {MAX_TOTAL_BYTES} bytes")


def _unpacked(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, into: Path) -> str:
    """Unpack one member; why it was not, or ""."""
    name = PurePosixPath(member.filename)
    if name.is_absolute() or ".." in name.parts or member.filename.startswith("\\"):
        return "its path leaves the archive's folder, so it was not unpacked"
    if member.is_dir() or not name.parts or is_junk(name.parts[0]):
        return ""
    if member.file_size > MAX_MEMBER_BYTES:
        return f"larger than {MAX_MEMBER_BYTES} bytes, so it was not unpacked"
    target = into.joinpath(*name.parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(member) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
    except _MEMBER_FAILURES as error:
        with contextlib.suppress(OSError):
            target.unlink(missing_ok=True)  # a file written part of the way
        return f"cannot be unpacked ({str(error)[:120]})"
    return ""
