"""The shell a submission's cells run in: IPython's own, as a Jupyter kernel runs them.

A Jupyter kernel is IPython's `InteractiveShell` behind a message protocol, so running each cell
through `InteractiveShell.run_cell` gives the notebook's own semantics by construction: magics
(`%%timeit` bodies run in a function of their own, `%%capture`, `%%writefile`, `%time`), the
compiler flags a cell's `from __future__` line leaves for the cells after it, annotations
evaluated as Python evaluates them, `In`/`Out`/`_`, and the working directory on `sys.path`.

Where grading cannot do what a kernel does, it does nothing and says so: shell commands (`!cmd`,
`%pip`, `%%bash` and the other script magics) and the kernel's own magics that talk to Jupyter's
front end (`%autosave`, `%clear`, ...) are not run, and `%matplotlib` changes nothing (figures
are closed by `plt.show()`, as the inline backend does, and never drawn as images).
"""

from __future__ import annotations

import ast
import atexit
import linecache
import os
import sys
from collections.abc import Iterable
from functools import partial
from typing import Any

from IPython.core import async_helpers, interactiveshell
from IPython.core.displayhook import DisplayHook
from traitlets import Type
from traitlets.config import Config

from autograder.inside.learned import LearnedCell, LearnedCompiler, LearnedTransforms, worked_out

MAX_NOTES = 20
FRONT_END_MAGICS = (
    "autosave",
    "clear",
    "connect_info",
    "edit",
    "less",
    "man",
    "more",
    "qtconsole",
    "subshell",
)
"""The line magics a Jupyter kernel adds to IPython's (ipykernel's `KernelMagics`): they act on
the front end or the kernel's connection, which grading has neither of. Without them a cell
holding `%autosave 0` would stop at that line in grading and run on in Jupyter."""


class CellNames(LearnedCompiler):
    """Names each cell's code `<cell N>`, as the kit's messages name cells, so that an error
    points at the student's own cell."""

    label = "cell"

    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        return f"<{self.label}>"


def _config() -> Config:
    config = Config()
    config.HistoryManager.enabled = False  # no history database inside the sandbox
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.xmode = "Plain"
    config.InteractiveShell.autocall = 0
    return config


class CellValues(DisplayHook):
    """Shows a cell's last value and keeps it as `_` and `Out`, as a kernel does, except a
    value the kit itself put in the notebook's place (`StudentShell.stand_ins`): a kernel
    would never have had it, so it is neither shown nor kept, as if the cell had ended on a
    value of None."""

    def __call__(self, result: object = None) -> None:
        if any(result is stand_in for stand_in in self.shell.stand_ins):
            result = None
        super().__call__(result)


class StudentShell(interactiveshell.InteractiveShell):
    """IPython's shell with shell commands noted instead of run."""

    displayhook_class = Type(CellValues)

    def __init__(self, notes: list[str]) -> None:
        self.grading_notes = notes
        self.stand_ins: tuple[object, ...] = ()
        self._runs_async: dict[str, bool] = {}  # a transformed cell: whether it awaits at top
        super().__init__(config=_config(), compiler_class=CellNames)
        self.input_transformer_manager = LearnedTransforms()
        self.compile.transformers_in_use = self._ast_transformers_in_use
        # IPython resets the namespace at interpreter exit to save history; grading keeps none,
        # and a process holding many shells would spend its exit resetting each one.
        atexit.unregister(self.atexit_operations)
        self.display_formatter.active_types = ["text/plain"]  # never render figures as images
        for kind, names in _magics_not_run(self).items():
            for name in names:
                self.register_magic_function(self._noting(kind, name), kind, name)

    def _ast_transformers_in_use(self) -> bool:
        """Whether a notebook's AST transformer may change a cell's statements; read by type,
        so that a list of the notebook's own making is never asked its length."""
        transformers = self.ast_transformers
        return type(transformers) is not list or len(transformers) > 0

    def note(self, text: str) -> None:
        if len(self.grading_notes) < MAX_NOTES:
            self.grading_notes.append(text[:300])

    def _noting(self, kind: str, name: str) -> Any:
        prefix = "%%" if kind == "cell" else "%"

        def not_run(line: str = "", cell: str | None = None) -> None:
            self.note(f"{prefix}{name} {line}".rstrip() + " was not run while grading")

        return not_run

    def system(self, cmd: str) -> None:  # type: ignore[override]
        self.note(f"shell command !{cmd} was not run while grading")

    def getoutput(self, cmd: str, split: bool = True, depth: int = 0) -> list[str]:  # type: ignore[override]
        self.system(cmd)
        return []

    def enable_matplotlib(self, gui: str | None = None) -> tuple[str, str]:  # type: ignore[override]
        return ("agg", "agg")

    def enable_gui(self, gui: str | None = None) -> None:
        """No event loop: nothing is shown while grading."""

    def learn(self, cells: Iterable[str]) -> None:
        """Work out now, in a shell that has run nothing, what running `cells` later asks of
        IPython: the static transformations, whether the result awaits at top level (a
        function of the transformed text alone, asked while `autoawait` is on, as it is in a
        new kernel), and each statement's code (see `LearnedCompiler`). A cell whose working
        out fails, or warns, is left to IPython when it runs, so that it fails or warns
        there, as in a kernel (`worked_out`)."""
        for cell in cells:
            learned = worked_out(partial(self._work_out, cell))
            if learned is not None and self.autoawait:
                static, transformed, awaits, compiled = learned
                self.input_transformer_manager.learn(cell, static)
                self._runs_async[transformed] = awaits
                self.compile.learn(compiled)

    def _work_out(self, cell: str) -> tuple[str, str, bool, LearnedCell]:
        """The cell's static transformation, its whole transformation, whether that awaits at
        top level, and its statements compiled ahead."""
        static = self.input_transformer_manager.transform_cell(cell)
        transformed = self.transform_cell(cell)
        awaits = super().should_run_async(cell, transformed_cell=transformed)
        compiled = self.compile.compiled_ahead(transformed, ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        return static, transformed, awaits, compiled

    def load_what_ipython_loads_on_first_use(self) -> None:
        """Load what IPython itself loads the first time a shell needs it, so that each
        student process forked from the fork server starts with it instead of loading it
        again (a kernel loads the same, some of it before any cell runs, the rest when first
        needed): for a shell's first cell, before any of its code, the debugger's base module
        (`run_code` imports it), the session logger (built on first use), and the source of
        IPython's modules whose frames are beneath every cell, which a stack formatted in a
        cell shows (a traceback, a warning, torch's lazy seeding), only read, never run;
        IPython's own magics, each imported the first time a cell uses it (`%time`,
        `%matplotlib`, `%%capture`, `%%writefile`: 2-5 ms in a fresh process); and what
        formatting a first traceback loads (its highlighter and theme: 3-5 ms, in every
        notebook with a cell that fails), by formatting one with the shell's own formatter,
        which then forgets it, as if it had seen none."""
        import bdb  # noqa: F401

        self.logger  # noqa: B018
        for module in (interactiveshell, async_helpers):
            linecache.getlines(module.__file__)
        load_magics = getattr(self.magics_manager, "load_all_lazy_magics", None)
        if load_magics is not None:  # IPython 9.17 on; before it, a shell loads them as it starts
            load_magics()
        try:
            exec(compile("raise AssertionError", "<never shown>", "exec"))
        except AssertionError as raised:  # its frame only: this module's source is not read
            frame = raised.__traceback__.tb_next
            self.InteractiveTB.structured_traceback(AssertionError, raised, frame)
        vars(self.InteractiveTB).pop("tb", None)

    def should_run_async(
        self,
        raw_cell: str,
        *,
        transformed_cell: str | None = None,
        preprocessing_exc_tuple: Any = None,
    ) -> bool:
        """IPython's answer, learned for a transformed cell it was asked about in `learn`."""
        if self.autoawait and preprocessing_exc_tuple is None and type(transformed_cell) is str:
            learned = self._runs_async.get(transformed_cell)
            if learned is not None:
                return learned
        return super().should_run_async(
            raw_cell,
            transformed_cell=transformed_cell,
            preprocessing_exc_tuple=preprocessing_exc_tuple,
        )

    def run(self, source: str, label: str) -> BaseException | None:
        """Run one cell as the kernel would; the exception it ended with, if any."""
        self.compile.label = label
        result = self.run_cell(source, store_history=True)
        return result.error_before_exec or result.error_in_exec


def working_directory_importable() -> None:
    """Put the working directory on `sys.path` where a kernel puts it (IPython's
    `InteractiveShellApp.init_path`): before the first site-packages directory, after the
    standard library, so that a module a cell writes there can be imported."""
    if "" in sys.path:
        return
    for index, path in enumerate(sys.path):
        if os.path.basename(path) in ("site-packages", "dist-packages"):
            sys.path.insert(index, "")
            return
    sys.path.insert(0, "")


def _magics_not_run(shell: interactiveshell.InteractiveShell) -> dict[str, list[str]]:
    """Magics that run another program or install packages: the script magics (`%%bash`,
    `%%script`, ...), `%pip`, `%conda`, `%mamba`, `%micromamba`, `%sx` and `%system`; and the
    kernel's front-end magics."""
    magics = shell.magics_manager.registry.get("ScriptMagics")
    cells = sorted(magics.magics["cell"]) if magics is not None else []
    lines = ["pip", "conda", "mamba", "micromamba", "sx", "system"]
    known = shell.magics_manager.magics["line"]
    return {
        "cell": cells,
        "line": [name for name in lines if name in known] + list(FRONT_END_MAGICS),
    }
