"""Stage 2, sandbox: confined, short-lived processes forked from one warm fork server.

`client` is the judge's handle, `server` the fork server, `process` the life of one confined
process, `confine`, `filesystem`, `cgroups` and `seccomp` its layers, `supervision` its clock
and output, `protocol` the messages on its channel. Nothing here knows the exercise; what a
confined process runs is the caller's `module:function` entry.
"""

from autograder.sandbox.client import (
    ConfinedProcess,
    NotConfined,
    Sandbox,
    SandboxError,
    SandboxShare,
)
from autograder.sandbox.limits import Limits, ProcessOutcome

__all__ = [
    "Limits",
    "ProcessOutcome",
    "Sandbox",
    "SandboxError",
    "NotConfined",
    "SandboxShare",
    "ConfinedProcess",
]
