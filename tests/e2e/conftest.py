"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import Tab, browser_tab


@pytest.fixture
def tab(tmp_path: Path) -> Iterator[Tab]:
    """A headless Chromium tab, driven over the DevTools protocol."""
    with browser_tab(tmp_path / "profile") as opened:
        yield opened
