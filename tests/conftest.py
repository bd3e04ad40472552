"""Settings and fixtures for the whole suite."""

import pytest
from hypothesis import settings

from autograder.judge.record import Record

# Speed is measured by the benchmarks, never by a test: no property test fails for being slow
# on a loaded machine (the suite runs its files two at a time).
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@pytest.fixture(scope="session")
def corpus_records(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> dict[str, Record]:
    """The answer corpus graded in process once for the whole run
    (`tests.support.inprocess.corpus_records`): the test processes of one run share the folder
    above their own."""
    from tests.support.inprocess import corpus_records as graded_once

    own = tmp_path_factory.getbasetemp()
    return graded_once(own if worker_id == "master" else own.parent)
