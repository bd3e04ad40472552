"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import Tab, browser_tab
from tests.support.course import copy_course, generate_release
from tests.support.fidelity import fresh_directory
from tests.support.jupyter import JupyterKernel, jupyter_kernel


@pytest.fixture(scope="session")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course with its release generated, once for the whole run: a test that needs a
    course of its own copies it (`copy_released`)."""
    course = copy_course(tmp_path_factory.mktemp("released") / "course")
    generate_release(course)
    return course


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Tab]:
    """A headless Chromium tab, driven over the DevTools protocol."""
    with browser_tab(tmp_path / "profile") as opened:
        yield opened


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every notebook a module runs in a Jupyter kernel gets its own working directory."""
    return tmp_path_factory.mktemp("notebooks")


@pytest.fixture(scope="module")
def kernel(workspace: Path) -> Iterator[JupyterKernel]:
    """One kernel for every notebook of a module (see `in_kernel` for why that is as faithful
    as one kernel per notebook, and `test_jupyter_fidelity`'s last test for the proof)."""
    with jupyter_kernel(fresh_directory(workspace)) as started:
        yield started
