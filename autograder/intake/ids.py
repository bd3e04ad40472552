"""Student ids from file and folder names, whatever bytes those names hold.

A name is the student's to choose (or their LMS's), so it may be invalid UTF-8, hold control
characters, bidi overrides or invisible spaces, or be as long as a file name can be. The id
keeps every ordinary name unchanged and writes anything else as an escape: `\\xNN` for a byte
that is not UTF-8, `\\uNNNN` for a character Python does not call printable, and `\\\\` for a
backslash. Every backslash in an id starts an escape, so two different names never give the
same id, and the same name always gives the same one.
"""

from __future__ import annotations

import hashlib
import os
from urllib.parse import quote

_NOT_UTF8 = range(0xDC80, 0xDD00)  # where surrogateescape keeps bytes that are not UTF-8


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
            parts.append(f"\\u{code:04x}")
        else:
            parts.append(character)
    return "".join(parts)


MAX_FILE_NAME = 120


def file_name(student: str) -> str:
    """One path component for an id: no separators, never `.` or `..`, never empty, at most
    `MAX_FILE_NAME` characters. Percent-encoding keeps distinct ids distinct; a long id keeps
    its start and ends in a hash of the whole."""
    name = quote(student, safe="", errors="surrogatepass")
    if name.startswith("."):
        name = "%2E" + name[1:]  # `quote` keeps dots, so this cannot collide with another id
    if len(name) > MAX_FILE_NAME:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = f"{name[: MAX_FILE_NAME - 17]}~{digest}"
    return name or "%"
