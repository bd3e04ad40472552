"""What one student process may use, and what it left behind."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Ceilings for one student process and everything it starts."""

    wall_seconds: float = 10.0
    cpu_seconds: int = 10
    memory_bytes: int = 2 * 1024**3
    max_processes: int = 32
    file_size_bytes: int = 16 * 1024**2
    open_files: int = 64
    output_bytes: int = 64 * 1024


@dataclass(frozen=True)
class ProcessOutcome:
    """How a student process ended, as its supervisor saw it.

    `ended` is "exited" or "signaled" when the process ended by itself, "timeout" when the
    supervisor killed it at the wall-clock limit, and "killed" when the judge finished it.
    """

    ended: str
    returncode: int | None
    signal: int | None
    output: str
    output_truncated: bool
