"""Settings for the whole suite."""

import pytest
from hypothesis import settings

# Speed is measured by the benchmarks, never by a test: no property test fails for being slow
# on a loaded machine (the suite runs its files two at a time).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The files of `one_core` tests go first: a long job that keeps one core busy (pip
    installing the kit) runs beside the other worker's files rather than alone at the end."""
    first = {item.path for item in items if item.get_closest_marker("one_core")}
    items.sort(key=lambda item: item.path not in first)
