"""The one refusal every command shares, in a module of its own so that a command can raise
and report it without loading the readers of submissions (`intake`)."""

from __future__ import annotations


class UsageError(Exception):
    """The command line names something that cannot be graded; nothing was graded."""
