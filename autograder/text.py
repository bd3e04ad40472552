"""Text a student influenced, made safe for wherever the kit stores or shows it.

Student ids (from file names), exception messages and printed output end up in JSON records,
CSV files, HTML pages and terminals. Each has its own hazards: lone surrogates that UTF-8
cannot encode, control characters that move a terminal's cursor or clear its screen, bidi
overrides that reorder what a reader sees, and cells that a spreadsheet evaluates as formulas.
Every such value passes through one of these functions at the boundary where it enters.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

_KEPT_CONTROLS = frozenset("\n\t")
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def escaped(character: str) -> str:
    """`\\x1b` or `\\u202e`: how a character that must not be shown raw is written instead."""
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _hazardous(character: str) -> bool:
    if character in _KEPT_CONTROLS:
        return False
    return character in _BIDI_CONTROLS or unicodedata.category(character) in ("Cc", "Cs")


def printable(text: str, limit: int | None = None) -> str:
    """`text` as valid Unicode without control characters (newlines and tabs are kept);
    each removed character is written as an escape, so nothing disappears silently."""
    if limit is not None and len(text) > limit:
        text = text[:limit]
    if text.isprintable() or not any(_hazardous(c) for c in text):
        return text
    return "".join(escaped(c) if _hazardous(c) else c for c in text)


def one_line(text: str, limit: int | None = None) -> str:
    """`printable`, with newlines and tabs as spaces: for a table cell in a terminal."""
    return printable(text, limit).replace("\n", " ").replace("\t", " ")


def listed(names: Iterable[str], separator: str = ", ", limit: int = 10) -> str:
    """A few names for one line (a summary's, a row's message): the first `limit`, each as
    `one_line`, then how many more there are."""
    shown = [one_line(name) for name in names]
    more = len(shown) - limit
    return separator.join(shown[:limit]) + (f"{separator}and {more} more" if more > 0 else "")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text and never evaluates; numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = printable(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file whose cells no spreadsheet ever evaluates as formulas, whatever a student
    put in them; numbers stay numbers."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    for row in [header, *rows]:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return stream.getvalue()
