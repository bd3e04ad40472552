"""Where each student's page goes, with a file name that is safe whatever the student id is.

Ids come from folder and file names that students control, so they may hold slashes, dots,
spaces or be very long; percent-encoding keeps distinct ids distinct and ordinary ids unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import quote

from ..lesson import ASSIGNMENT

MAX_NAME = 120


def safe_name(student: str) -> str:
    """A single path component for `student`: no separators, never `.` or `..`, never empty."""
    name = quote(student, safe="", errors="surrogatepass")
    if name.startswith("."):
        name = "%2E" + name[1:]  # `quote` keeps dots, so this cannot collide with another id
    if len(name) > MAX_NAME:
        digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        name = f"{name[: MAX_NAME - 17]}~{digest}"
    return name or "%"


def feedback_path(student: str, out_dir: Path, course_root: Path | None) -> Path:
    """nbgrader's feedback folder in a course, else one flat folder of pages."""
    if course_root is not None:
        return course_root / "feedback" / safe_name(student) / ASSIGNMENT / "feedback.html"
    return out_dir / "feedback" / f"{safe_name(student)}.html"
