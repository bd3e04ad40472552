"""What a process has loaded lives until it exits: keep the garbage collector off it, and let
a process whose work is done leave without taking it apart.

Torch leaves hundreds of thousands of objects that live as long as the process. Every full
collection traces them again, and so does the interpreter's shutdown: exiting a process that
holds torch costs about 0.8 s more than importing it did. Frozen, they are never traced again;
the interpreter still takes every module apart at exit (about 0.2 s with torch loaded), which a
command that has written everything it owes can skip.

What a piece of work allocates and frees is another matter: the C allocator keeps freed heap
for the process, so a long-lived worker grows to the most any piece of work needed unless it
hands the memory back between them. And what a piece of work keeps until it ends is traced by
every collection during it, again and again as it grows, unless the collector waits for it.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import NoReturn


def freeze_loaded() -> None:
    """Put every object alive now out of the collector's reach (`gc.freeze`). Nothing is
    collected first: once the stack is imported there is next to no garbage to find (at most
    a few hundred of some 220,000 objects), and looking for it costs 0.1 s on the way to the
    first submission."""
    gc.freeze()


@contextmanager
def loading() -> Iterator[None]:
    """Load what lives until the process exits with the collector off, then freeze all the
    process holds (`freeze_loaded`). Importing torch, matplotlib and IPython makes some
    220,000 objects, which the collector traced again and again as they came: three full
    collections and about 500 smaller ones, 0.2 s of CPU in a fork server's start."""
    with _collector_off():
        yield
        freeze_loaded()


def release_freed() -> None:
    """Give the system back what finished work freed: the allocator's free heap returned
    (glibc's `malloc_trim`; torch's wheels run only on glibc). A judge worker does this
    before each chunk, the chunk before collected as it ended (`collected_after`): 30-40 MB
    less at a class's peak, for 1-9 ms."""
    _c_library().malloc_trim(0)


@cache
def _c_library() -> ctypes.CDLL:
    """The C library, loaded once: each `ctypes.CDLL` makes a class of its own, a reference
    cycle that only a collection takes apart (ten objects a call)."""
    return ctypes.CDLL(None)


@contextmanager
def collected_after() -> Iterator[None]:
    """Do one piece of a long-lived process's work (a judge worker's chunk of a class) with
    the garbage collector off, and collect once, when it ends.

    A chunk keeps what it makes until it ends (its pytest session holds every student of it),
    so each collection during it traced all of that again: 23 full collections a worker over
    150 students, about 5 ms of CPU a student. Nothing is frozen here: what a worker holds
    at a chunk's start includes what only a collection can free later (a Dask worker's own
    machinery; a cache's exceptions, whose stack frames hold their callers' variables), and
    frozen, it would be kept for good."""
    with _collector_off():
        try:
            yield
        finally:
            gc.collect()


@contextmanager
def _collector_off() -> Iterator[None]:
    """The collector off for a block, and back on after it only if it was on before, so a
    block inside another leaves that to the outer one."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def leave(code: int) -> NoReturn:
    """End the process with `code` once its output is flushed, skipping the interpreter's
    teardown. Only for a process that has closed or written everything it holds (its
    sandbox, pools and files): of what is registered to run at exit, only multiprocessing's
    finalizers run, which remove the folder its fork server's socket is in (`pymp-*` in the
    temp folder, left behind by every `grade` run otherwise)."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    multiprocessing_util = sys.modules.get("multiprocessing.util")
    if multiprocessing_util is not None:  # loaded: it may have made that folder
        multiprocessing_util._run_finalizers()
    os._exit(code)
