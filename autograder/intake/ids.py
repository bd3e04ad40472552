"""Student ids from file and folder names, and the file names the kit gives ids.

A name is the student's to choose (or their LMS's), so it may be invalid UTF-8, hold control
characters, bidi overrides or invisible spaces, or be as long as a file name can be. The id
keeps every ordinary name unchanged (`ana.smith@uni.edu`, `José Núñez`, `50% #1?`) and writes
anything else as an escape: `\\xNN` for a byte that is not UTF-8, `\\uNNNN` (or `\\UNNNNNNNN`
beyond the first 65,536 code points) for a character Python does not call printable, and `\\\\`
for a backslash. Every backslash in an id starts an escape, so two different names never give
the same id, the same name always gives the same one, and `name_of` gives the name back.

Where an id has to be a file name, two rules apply. In an nbgrader course a student's folders
have exactly the name nbgrader gives them (`course_folder`), because nbgrader looks for them
there. Every other name is the kit's own (records, pages outside a course), and is the id,
escaped only where the file system requires it (`file_name`).
"""

from __future__ import annotations

import hashlib
import os
import re

_NOT_UTF8 = range(0xDC80, 0xDD00)  # where surrogateescape keeps bytes that are not UTF-8
_SURROGATES = range(0xD800, 0xE000)
_ESCAPE = re.compile(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4})|U([0-9a-f]{8})|(\\))")
MAX_NAME_BYTES = 255  # of one path component, on the file systems the kit writes to


def student_id(name: str | bytes) -> str:
    """The id for a file or folder name (as `os.listdir` returns it, or as raw bytes)."""
    text = os.fsencode(name).decode("utf-8", errors="surrogateescape")
    if text.isprintable() and "\\" not in text:
        return text
    parts = []
    for character in text:
        code = ord(character)
        if code in _NOT_UTF8:
            parts.append(f"\\x{code - 0xDC00:02x}")
        elif character == "\\":
            parts.append("\\\\")
        elif not character.isprintable():
            parts.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            parts.append(character)
    return "".join(parts)


def name_of(student: str) -> str | None:
    """The name (as `os.listdir` returns it) whose id is `student`, or None when no name has
    that id (an id `student_id` never gives)."""
    parts, position = [], 0
    while (backslash := student.find("\\", position)) >= 0:
        escape = _ESCAPE.match(student, backslash)
        if escape is None:
            return None
        byte, short, long, _ = escape.groups()
        parts.append(student[position:backslash])
        if byte is not None:
            parts.append(chr(0xDC00 + int(byte, 16)))
        elif short or long:
            code = int(short or long, 16)
            if code > 0x10FFFF:
                return None
            parts.append(chr(code))
        else:
            parts.append("\\")
        position = escape.end()
    name = "".join(parts) + student[position:]
    try:
        return name if student_id(name) == student else None
    except UnicodeError:  # a lone surrogate that stands for no byte
        return None


MAX_FILE_NAME = 200  # bytes of a name `file_name` gives, leaving room for a suffix


def file_name(student: str) -> str:
    """A name the kit gives an id's own file: the id itself, with `%`, `/`, NUL and lone
    surrogates (which no file system takes) percent-encoded, a leading dot escaped (so that
    no record is a hidden file), and a name longer than `MAX_FILE_NAME` bytes cut short and
    ended with a hash of the whole. Distinct ids get distinct names."""
    name = "".join(
        "".join(f"%{byte:02X}" for byte in character.encode("utf-8", "surrogatepass"))
        if character in "%/\0" or ord(character) in _SURROGATES
        else character
        for character in student
    )
    if name.startswith("."):
        name = "%2E" + name[1:]
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_FILE_NAME:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        start = encoded[: MAX_FILE_NAME - 17].decode("utf-8", errors="ignore")
        name = f"{start}~{digest}"
    return name or "%"


def course_folder(student: str) -> str:
    """The folder nbgrader keeps a student's files in (`submitted/<folder>/`, `autograded/`,
    `feedback/`): the very name the id came from. An id that no folder could have had (one
    that names no file, or holds a `/`) belongs to a student nbgrader cannot have, and gets
    the kit's own `file_name`."""
    name = name_of(student)
    if (
        name is None
        or name in ("", ".", "..")
        or "/" in name
        or "\0" in name
        or len(os.fsencode(name)) > MAX_NAME_BYTES
    ):
        return file_name(student)
    return name
