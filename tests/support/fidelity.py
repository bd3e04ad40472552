"""A notebook as the fidelity test sees it: code cells with graded cells among them, and the
report that shows where Jupyter and the kit saw different namespaces."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tests.support.namespace_snapshot import Snapshot

__all__ = [
    "GRADED",
    "Snapshot",
    "Step",
    "disagreement",
    "fresh_directory",
    "with_module_name",
]


class _GradedCell:
    """Where a graded cell sits: the checks would look at the namespace here."""

    def __repr__(self) -> str:
        return "GRADED"


GRADED = _GradedCell()
Step = str | _GradedCell  # a code cell's source, or a graded cell

_MODULE = re.compile(r"\bhelper\b")
_MISSING = "(not defined)"


def with_module_name(steps: Sequence[Step], name: str) -> list[Step]:
    """`steps` with the helper module called `name`: a kernel keeps every module it imported,
    so each notebook writes and imports a module no earlier notebook had."""
    return [step if step is GRADED else _MODULE.sub(name, step) for step in steps]


def fresh_directory(parent: Path) -> Path:
    """A new, empty working directory for one notebook run.

    Its modification time is set far in the past: Python's import system caches a directory's
    listing until the directory's mtime changes, and mtimes tick only every few milliseconds,
    so a module written right after a failed import could otherwise stay unseen by chance,
    in one run and not the other. The first file written now always changes the mtime."""
    directory = Path(tempfile.mkdtemp(dir=parent))
    os.utime(directory, (0, 0))
    return directory


def disagreement(
    steps: Sequence[Step],
    jupyter: Sequence[Snapshot],
    kit: Sequence[Snapshot],
    errors: Sequence[str | None] = (),
) -> str | None:
    """None when both saw the same names behaving the same at every graded cell; else the
    notebook, with each cell's error in Jupyter, and both snapshots where they differ."""
    if list(jupyter) == list(kit):
        return None
    lines = ["Jupyter and the kit see different namespaces at graded cells.", "", "The notebook:"]
    cell, graded = 0, 0
    for step in steps:
        if step is GRADED:
            graded += 1
            lines.append(f"=== graded cell {graded} ===")
            continue
        cell += 1
        error = errors[cell - 1] if cell - 1 < len(errors) else None
        lines.append(f"--- cell {cell}" + (f" (error shown in Jupyter: {error})" if error else ""))
        lines.extend(f"    {line}" for line in str(step).splitlines())
    if len(jupyter) != len(kit):
        lines += ["", f"Jupyter stopped at {len(jupyter)} graded cells, the kit at {len(kit)}."]
    for number, (seen, kits) in enumerate(zip(jupyter, kit, strict=False), start=1):
        if seen != kits:
            lines += ["", f"At graded cell {number}:", *_side_by_side(seen, kits)]
    return "\n".join(lines)


def _side_by_side(jupyter: Snapshot, kit: Snapshot) -> list[str]:
    lines = []
    for name in sorted(set(jupyter) | set(kit)):
        seen, kits = jupyter.get(name, _MISSING), kit.get(name, _MISSING)
        mark = "  " if seen == kits else "≠ "
        lines.append(f"  {mark}{name}")
        lines.append(f"        Jupyter: {seen}")
        if seen != kits:
            lines.append(f"        kit:     {kits}")
    return lines
