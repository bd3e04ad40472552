"""Notebooks run in a real Jupyter kernel (ipykernel's python3, driven by nbclient), with a
snapshot of the user namespace at each graded cell: what the kit must match.

Starting a kernel takes over a second, so one kernel runs many notebooks; `in_kernel`
makes each notebook start from the state of a freshly started kernel. Cells run as
nbgrader runs them (every cell, errors allowed); snapshots are taken through
`user_expressions`, which evaluate without running a cell, so they add no name and no
history entry to the namespace they look at.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from tests.support.course import kernel_env
from tests.support.fidelity import GRADED, Snapshot, Step

_IN_KERNEL = "__import__('tests.support.in_kernel', fromlist=['in_kernel'])"


class KernelError(Exception):
    """The kernel could not evaluate what the test asked of it (not a student error)."""


@dataclass
class JupyterRun:
    """A notebook as the kernel ran it: the snapshot at each graded cell, and each code
    cell's error (`ename: evalue`), if it raised, its value as the kernel showed it
    (`text/plain`), if it ended on one, and what it printed."""

    snapshots: list[Snapshot]
    errors: list[str | None]
    values: list[str | None]
    printed: list[str]


class JupyterKernel:
    """One python3 kernel, reused notebook after notebook."""

    def __init__(self, client: NotebookClient) -> None:
        self.client = client

    def begin(self, directory: Path) -> None:
        """Make the kernel as a new one started in `directory` would be."""
        self.evaluate(f"{_IN_KERNEL}.begin_notebook({str(directory)!r})")

    def state(self) -> dict[str, Any]:
        """What makes a kernel fresh (see `in_kernel.kernel_state`)."""
        return json.loads(self.evaluate(f"{_IN_KERNEL}.kernel_state()"))

    def run(self, steps: Sequence[Step], directory: Path) -> JupyterRun:
        """Run `steps` as a new notebook in a kernel started in `directory` would."""
        self.begin(directory)
        cells = [nbformat.v4.new_code_cell(step) for step in steps if step is not GRADED]
        self.client.nb = nbformat.v4.new_notebook(cells=cells)
        snapshots: list[Snapshot] = []
        index = 0
        for step in steps:
            if step is GRADED:
                snapshots.append(json.loads(self.evaluate(f"{_IN_KERNEL}.namespace_json()")))
                continue
            self.client.execute_cell(cells[index], index)
            index += 1
        return JupyterRun(
            snapshots,
            [_error_of(cell) for cell in cells],
            [_value_of(cell) for cell in cells],
            [_printed_by(cell) for cell in cells],
        )

    def evaluate(self, expression: str) -> Any:
        """The value of `expression` in the kernel (a Python literal), without running a cell."""
        client = self.client
        assert client.kc is not None
        message = client.kc.execute(
            "", silent=True, store_history=False, user_expressions={"value": expression}
        )
        reply = client.wait_for_reply(message)
        assert reply is not None, "the kernel did not reply"
        found = reply["content"].get("user_expressions", {}).get("value", {})
        if found.get("status") != "ok":
            raise KernelError(f"{expression}: {found.get('ename')}: {found.get('evalue')}")
        return ast.literal_eval(found["data"]["text/plain"])


def _value_of(cell: nbformat.NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "execute_result":
            return output["data"].get("text/plain")
    return None


def _printed_by(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output["text"]
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stdout"
    )


def _error_of(cell: nbformat.NotebookNode) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output['ename']}: {output['evalue']}"
    return None


@contextmanager
def jupyter_kernel(directory: Path) -> Iterator[JupyterKernel]:
    """A python3 kernel started in `directory` (kept empty), stopped on leaving; the test's
    own modules are importable in it."""
    client = NotebookClient(
        nbformat.v4.new_notebook(), kernel_name="python3", timeout=60, allow_errors=True
    )
    client.km = client.create_kernel_manager()
    client.start_new_kernel(cwd=str(directory), env=kernel_env())
    try:
        client.start_new_kernel_client()
        kernel = JupyterKernel(client)
        kernel.evaluate(f"{_IN_KERNEL}.STARTING_FLAGS")  # records the kernel as it started
        yield kernel
    finally:
        if client.km is not None:
            client._cleanup_kernel()
