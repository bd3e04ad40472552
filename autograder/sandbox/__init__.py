"""Runs student code in confined, short-lived processes forked from one warm fork server."""

from autograder.sandbox.client import Sandbox, SandboxError, StudentProcess
from autograder.sandbox.limits import Limits, ProcessOutcome

__all__ = ["Limits", "ProcessOutcome", "Sandbox", "SandboxError", "StudentProcess"]
