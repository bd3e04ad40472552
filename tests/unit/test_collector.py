"""The garbage collector in the kit's long-lived processes: what a process loads is traced
by no collection, neither while it loads nor after; a judge worker's chunk is collected once,
when it ends, and freezes nothing, so that nothing it leaves is kept for good.

Each script runs in a fresh interpreter: freezing and switching the collector off are for
the whole process."""

from __future__ import annotations

import json
import subprocess
import sys

COUNTING = """
import gc, json, weakref
from autograder.loaded import collected_after, loading, release_freed

collections = []
gc.callbacks.append(lambda phase, info: phase == "start" and collections.append(1))

class Node:
    pass

def cycles(count):
    nodes = [Node() for _ in range(count)]
    for node in nodes:
        node.itself = node
    return nodes
"""

CHUNKS = (
    COUNTING
    + """
rounds = []
frozen = gc.get_freeze_count()
for _ in range(6):
    release_freed()  # as a judge worker starts each chunk
    with collected_after():
        before = len(collections)
        kept = cycles(50_000)  # kept until the chunk ends, as its pytest session keeps students
        last = weakref.ref(kept[-1])
        during = len(collections) - before
        del kept
    rounds.append(
        {"during": during, "gone": last() is None, "on": gc.isenabled(),
         "frozen": gc.get_freeze_count() - frozen}
    )
print(json.dumps(rounds))
"""
)


def run(script: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_a_chunk_is_collected_once_when_it_ends_and_freezes_nothing() -> None:
    rounds = run(CHUNKS)
    assert all(round_["during"] == 0 for round_ in rounds), rounds
    assert all(round_["gone"] and round_["on"] for round_ in rounds), rounds
    assert all(round_["frozen"] == 0 for round_ in rounds), rounds


FAILING_CHUNK = (
    COUNTING
    + """
try:
    with collected_after():
        dropped = cycles(1_000)
        last = weakref.ref(dropped[-1])
        del dropped
        raise RuntimeError("a chunk that fails")
except RuntimeError:
    pass
print(json.dumps({"gone": last() is None, "on": gc.isenabled()}))
"""
)


def test_a_chunk_that_fails_is_collected_and_the_collector_comes_back_on() -> None:
    assert run(FAILING_CHUNK) == {"gone": True, "on": True}


LOADING = (
    COUNTING
    + """
with loading():
    loaded = cycles(100_000)  # as importing torch makes objects that live as long as it
    during = len(collections)
gc.collect()
print(json.dumps({"during": during, "frozen": gc.get_freeze_count() > 100_000,
                  "on": gc.isenabled(), "traced_after": len(gc.get_objects()) < 100_000}))
"""
)


def test_what_is_loaded_is_traced_neither_while_it_loads_nor_after() -> None:
    assert run(LOADING) == {"during": 0, "frozen": True, "on": True, "traced_after": True}
