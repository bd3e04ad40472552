"""The lesson of a release, read in this process by the same probe the sandbox runs."""

from __future__ import annotations

import contextlib
import functools
import io
from pathlib import Path

from autograder.exercise import release_notebook
from autograder.inside.responder import Responder
from autograder.intake.notebook import load_release
from autograder.judge.lesson_reading import lesson_from_facts, probe_request
from autograder.judge.reference import Reference, reference_for
from autograder.lesson import Lesson
from autograder.sandbox.protocol import decode, encode


def lesson_in_process(release: Path | None = None) -> Lesson:
    """The lesson of `release` (the shipped one by default), read without a sandbox, once
    per release content (a regenerated release is read again)."""
    return _lesson_of((release or release_notebook()).read_bytes())


@functools.cache
def _lesson_of(release: bytes) -> Lesson:
    trusted = load_release(release)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        reply = Responder().handle(decode(encode(probe_request(trusted))))
    return lesson_from_facts(trusted, decode(encode(reply)))


def shipped_reference() -> Reference:
    """The judge's reference for the shipped lesson."""
    return reference_for(lesson_in_process())
