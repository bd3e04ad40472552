"""What one student process may use, and what it left behind."""

from __future__ import annotations

import math
from dataclasses import dataclass

CPU_SHARE_OF_WALL_CLOCK = 0.5  # busy for half the time allowed: an endless loop, not waiting
# At the wall-clock limit, a process tree that ran or stood ready to run for at least half of
# the last quarter of its time was busy (an endless loop, however loaded the machine), not
# waiting for something (input(), a sleep), however much it computed before.
FINAL_STRETCH_OF_WALL_CLOCK = 0.25
BUSY_SHARE_OF_FINAL_STRETCH = 0.5
# Time a process tree stood ready to run while other processes had the CPU is not its own:
# the wall-clock limit moves on by that much, up to this share of it, so that code which is
# slow but finishes on an idle machine finishes on a loaded one too.
WAITING_FORGIVEN_OF_WALL_CLOCK = 1.0


@dataclass(frozen=True)
class Limits:
    """Ceilings for one student process and everything it starts.

    `cpu_seconds` counts the CPU time of the whole process tree (its cgroup), `cpus` is the
    share of the machine the tree may use at any moment, so however many processes a student
    starts, a neighbour graded at the same time keeps the rest.
    """

    wall_seconds: float = 10.0
    cpu_seconds: float = 5.0
    cpus: float = 1.0
    memory_bytes: int = 2 * 1024**3
    max_processes: int = 32
    file_size_bytes: int = 16 * 1024**2
    open_files: int = 64
    output_bytes: int = 64 * 1024
    # how far the wall-clock limit may move on for time the tree waited for a CPU (a share of
    # the wall-clock limit, `WAITING_FORGIVEN_OF_WALL_CLOCK`, for a `--timeout`)
    waiting_forgiven_seconds: float = 10.0

    @classmethod
    def for_wall_clock(cls, seconds: float) -> Limits:
        """The limits for a `--timeout` of `seconds`: CPU time is a fixed share of it.
        `ValueError` unless `seconds` is a finite number greater than 0."""
        if not 0 < seconds < math.inf:
            raise ValueError(f"must be a number of seconds greater than 0, not {seconds:g}")
        return cls(
            wall_seconds=seconds,
            cpu_seconds=seconds * CPU_SHARE_OF_WALL_CLOCK,
            waiting_forgiven_seconds=seconds * WAITING_FORGIVEN_OF_WALL_CLOCK,
        )


@dataclass(frozen=True)
class ProcessOutcome:
    """How a student process ended, as its supervisor saw it.

    `ended` is "exited" or "signaled" when the process ended by itself, "timeout" when the
    supervisor killed it at the wall-clock limit while it waited, "cpu_limit" when its process
    tree used up its CPU time or wanted the CPU until the wall-clock limit, and "killed"
    when the judge finished it.

    `confined` is False when the sandbox failed to set the process up (a layer it requires,
    or an error on the way): nothing a student wrote ran in it, so its output is the
    sandbox's own account of the failure.
    """

    ended: str
    returncode: int | None
    signal: int | None
    output: str
    output_truncated: bool
    confined: bool

    def setup_failure(self) -> str | None:
        """What stopped the sandbox setting the process up, in the sandbox's own last line
        (or the limit that stopped it first); None for a process that was set up."""
        if self.confined:
            return None
        if self.stopped_at_a_limit:
            return f"it was stopped at its time limit ({self.ended}) before it was set up"
        lines = self.output.strip().splitlines()
        return lines[-1] if lines else f"it ended ({self.ended}) before saying why"

    @property
    def stopped_at_a_limit(self) -> bool:
        """Whether the supervisor stopped it at a time limit ("timeout" or "cpu_limit")."""
        return self.ended in ("timeout", "cpu_limit")
