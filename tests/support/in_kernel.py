"""What the fidelity test does inside its Jupyter kernel, between and at the notebook's cells.

One kernel runs many generated notebooks, so each starts from the state a freshly started
kernel has:
- `%reset -f` empties the user namespace and the output history; the few names a new kernel
  has and `%reset` leaves out (`_`, `__doc__`, `__spec__`...) are put back;
- the compiler flags go back to those the kernel started with: a cell's `from __future__`
  import stays in `get_ipython().compile.flags` for every later cell, `%reset` keeps it, and
  IPython's own `reset_compiler_flags()` sets a value a new kernel does not have;
- a new, empty working directory: IPython puts `''` on `sys.path`, so imports look in the
  working directory of the moment, as in a kernel started there;
- the warning filters the kernel started with: a cell's `warnings.simplefilter("error")`
  holds for every later cell, and `%reset` keeps it;
- the event hooks the kernel started with: a hook a notebook's code registers (an nbgrader
  grade cell's, watching for the training cell) runs before every later cell, and `%reset`
  keeps it.
`kernel_state` says what "fresh" is made of, so a test can compare with a new kernel.

Importing this module also makes the kernel cheaper to run many notebooks in, in ways no cell
can see: the kernel's own objects are set aside from the garbage collector, and tracebacks
are shown plain (`%xmode Plain`), without the source context that takes ~30 ms an error to
format.

Only the standard library and IPython are used: this module runs inside the kernel.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import warnings
from typing import Any

from IPython import get_ipython

from tests.support.namespace_snapshot import snapshot

# The kernel as it started, before any notebook ran (it imports this module first): its
# compiler flags, and the names it gave the user namespace that `%reset` does not restore
# (`_`, `__doc__`, `__spec__`...).
STARTING_FLAGS: int = get_ipython().compile.flags
STARTING_NAMES: dict[str, Any] = dict(get_ipython().user_ns)
STARTING_HIDDEN: dict[str, Any] = dict(get_ipython().user_ns_hidden)
STARTING_FILTERS: list[Any] = list(warnings.filters)
STARTING_HOOKS: dict[str, list[Any]] = {
    event: list(hooks) for event, hooks in get_ipython().events.callbacks.items()
}
# `%reset` collects garbage; the kernel's own objects (IPython, zmq, tornado) are set aside
# from the collector, so it looks only at what notebooks made (100 ms less per notebook).
gc.freeze()
get_ipython().InteractiveTB.set_mode(mode="Plain")


def begin_notebook(directory: str) -> str:
    """Make the kernel as a new one started in `directory` would be."""
    shell = get_ipython()
    shell.run_line_magic("reset", "-f")
    for started, now in ((STARTING_NAMES, shell.user_ns), (STARTING_HIDDEN, shell.user_ns_hidden)):
        for name, value in started.items():
            now.setdefault(name, value)
    shell.compile.flags = STARTING_FLAGS
    warnings.resetwarnings()  # which also makes Python forget the warnings it has shown
    warnings.filters.extend(STARTING_FILTERS)
    for event, hooks in STARTING_HOOKS.items():
        shell.events.callbacks[event][:] = hooks
    os.chdir(directory)
    return "ready"


def namespace_json() -> str:
    """The snapshot of the user namespace, as JSON text."""
    shell = get_ipython()
    return json.dumps(snapshot(shell.user_ns, shell.user_ns_hidden))


def kernel_state() -> str:
    """What makes a kernel fresh, as JSON text: its user and hidden names, compiler flags,
    warning filters, event hooks, import path (`''` is the working directory), and what the
    working directory holds."""
    shell = get_ipython()
    state: dict[str, Any] = {
        "user names": sorted(shell.user_ns),
        "hidden names": sorted(shell.user_ns_hidden),
        "compiler flags": shell.compile.flags,
        "warning filters": [repr(entry) for entry in warnings.filters],
        "event hooks": {event: len(hooks) for event, hooks in shell.events.callbacks.items()},
        "import path": sys.path,
        "working directory holds": sorted(os.listdir(".")),
    }
    return json.dumps(state)
