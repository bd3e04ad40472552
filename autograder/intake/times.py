"""Submission times, from the ways nbgrader and the LMSs write them.

nbgrader's `timestamp.txt` says `2026-11-20 10:22:11.123456 UTC`; Gradescope's metadata says
`2026-11-20 10:22:11.123456000 -08:00`: ISO 8601, with a space for the `T`, read by
dateutil's strict ISO parser. Anything else a file may hold (garbage, a year of one or
of 9999, a number too large for a date, a time-zone name that is a path) is no time: the
student's row has none, and the file is listed as skipped, with what it held. A time is never
looked up by name (that would read a file named by the student): only UTC and numeric offsets
are understood.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

EARLIEST_YEAR = 1970
LATEST_YEAR = 2200  # later than any real submission, early enough for any date arithmetic
MAX_TIME_TEXT = 200
_UTC_NAMES = re.compile(r"\s+(?:UTC|GMT|Z)$", re.IGNORECASE)


def parse_time(text: str) -> str | None:
    """The time in `text` as ISO 8601 in UTC, or None when it is not a submission time."""
    import dateutil.parser

    text = text.strip()
    if not text or len(text) > MAX_TIME_TEXT:
        return None
    iso = _UTC_NAMES.sub("+00:00", text).replace(" ", "T", 1).replace(" ", "")
    try:
        moment = dateutil.parser.isoparse(iso)
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return None
    return moment.isoformat()


def naive_utc(moment: str | None) -> datetime | None:
    """A kept time (a record's `submitted_at`) as nbgrader keeps times: naive, in UTC; None
    when there is none, or what is kept is not a time."""
    parsed = parse_time(moment) if moment else None
    if parsed is None:
        return None
    return datetime.fromisoformat(parsed).replace(tzinfo=None)


def nbgrader_time(moment: str | None) -> str:
    """A kept time as nbgrader writes it in `timestamp.txt`; "" when there is none."""
    naive = naive_utc(moment)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f UTC") if naive else ""
