"""The instructor's self-test, run as an instructor runs it, through the real sandbox."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.batch.catalogue import catalogue
from tests.corpus.answers import REFERENCE
from tests.support.course import ROOT, SOURCE
from tests.support.lesson import shipped_reference

pytestmark = pytest.mark.slow


def selftest(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "autograder", "selftest", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_every_typical_answer_loses_exactly_its_categories():
    done = selftest()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every one as expected" in done.stdout
    answers = catalogue(shipped_reference())
    for name in ["reference", "release_untouched", *(answer.name for answer in answers)]:
        assert f"\n{name} " in done.stdout


def test_a_broken_reference_is_a_surprise(tmp_path: Path):
    """An instructor whose reference sums instead of averaging hears about it."""
    source = tmp_path / "source.ipynb"
    text = SOURCE.read_text(encoding="utf-8")
    assert ".mean()" in REFERENCE[0]
    source.write_text(text.replace("** 2).mean()", "** 2).sum()"), encoding="utf-8")
    done = selftest("--source", str(source))
    assert done.returncode == 1
    assert "not as expected" in done.stdout
    assert "! lost ['loss'], expected []" in done.stdout
