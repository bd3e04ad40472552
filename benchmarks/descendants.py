"""The CPU of a measured command and of every process it starts, whenever they end.

A process's CPU reaches its parent's `RUSAGE_CHILDREN` (and `os.times`) only once it has been
waited for, and a command may leave a process that ends just after it: multiprocessing's fork
server, which a `grade` run's judge workers are forked from, ends when it sees the command
gone. This process becomes the subreaper of whatever its commands leave behind, and waits for
it, so that every descendant's CPU is counted.
"""

from __future__ import annotations

import os
import resource

from autograder.sandbox import linux

PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans() -> None:
    """Become the parent of every orphan a command of this benchmark leaves behind."""
    linux.prctl(PR_SET_CHILD_SUBREAPER, 1)


def children_cpu() -> float:
    """Seconds of CPU of every child waited for so far, and of their own waited children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def reap_orphans() -> None:
    """Wait until every process left by a finished command has ended (and is counted)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
