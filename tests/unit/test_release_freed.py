"""A long-lived process gives back what finished work freed: memory the C allocator would
otherwise keep, because something allocated after it still holds the top of the heap."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc
from autograder.loaded import release_freed

def resident():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) // 1024

gc.disable()  # nothing may be collected, or given back, behind the test's back
work = [bytearray(100_000) for _ in range(3000)]  # 300 MB in the heap (below mmap's size)
pin = bytearray(100_000)  # allocated last: the heap's top stays in use
del work
held = resident()
release_freed()
print(held, resident())
"""


def test_what_work_freed_goes_back_to_the_system() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True
    )
    held, after = map(int, done.stdout.split())
    assert held >= 250, done.stdout  # the allocator kept the freed heap
    assert after <= held - 250, done.stdout
