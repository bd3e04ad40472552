"""IPython's work on the release's cells, done once in the fork server, not in each student.

Every notebook runs the release's read-only cells, so the fork server's shell works out before
it forks anyone what IPython makes of them: their static transformations (`LearnedTransforms`)
and their statements' compiled code (`LearnedCompiler`). Each is used only where IPython, asked
again, would make the same: a notebook that changes what IPython does with a cell has it done
as a kernel does it.
"""

from __future__ import annotations

import ast
import codeop
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, TypeVar

from IPython.core.compilerop import CachingCompiler
from IPython.core.inputtransformer2 import TransformerManager

_Made = TypeVar("_Made")


def worked_out(work: Callable[[], _Made]) -> _Made | None:
    """What `work()` makes of a release cell before any student process is forked, or None if
    it raised or warned: such a cell is left to be worked out where it runs, to fail or warn
    there, as in a kernel."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            made = work()
        except Exception:
            return None
    return None if warned else made


class LearnedTransforms(TransformerManager):
    """IPython's static input transformations (prompts, `%magic`, `!cmd`), with what they make
    of the release's cells worked out before any student process is forked (`learn`), not
    again in each one. A learned cell is looked up only while the transformations in use are
    the ones it was learned with, in the same order: a notebook that adds, removes, replaces
    or moves one has every cell transformed by what it made, as a kernel would. (A notebook
    that patches IPython's transformation code itself still has the release's cells
    transformed as that code first did: they run as the instructor wrote them.)"""

    def __init__(self) -> None:
        super().__init__()
        self._learned_with = self._in_use()
        self._learned: dict[str, str] = {}

    def _in_use(self) -> tuple[object, ...]:
        """The transformations, each list's closed by None: moving one across counts."""
        return (
            *self.cleanup_transforms,
            None,
            *self.line_transforms,
            None,
            *self.token_transformers,
        )

    def learn(self, cell: str, transformed: str) -> None:
        """Keep what IPython's own transformations made of `cell`."""
        self._learned[cell] = transformed

    def transform_cell(self, cell: str) -> str:
        # a notebook may call it with anything: what is not text gets IPython's own answer
        learned = self._learned.get(cell) if type(cell) is str else None
        if learned is not None and _same_objects(self._in_use(), self._learned_with):
            return learned
        return super().transform_cell(cell)


def _same_objects(these: tuple[object, ...], those: tuple[object, ...]) -> bool:
    """Compared by identity: an object a notebook put in a list is never asked to compare."""
    return len(these) == len(those) and all(a is b for a, b in zip(these, those, strict=True))


class LearnedCompiler(CachingCompiler):
    """IPython's compiler, compiling the release's cells from what it learned of them before
    any student process was forked (`learn`), not again in each one.

    A learned cell is parsed into the statements it was learned as, wrapped in a new module
    (IPython may add to its list), only while the compiler's flags are the ones it was learned
    with and no AST transformer could change its statements; a statement is compiled from
    what was learned only when it is one of those and is compiled in the mode and with the
    flags it was learned in, and is then named as the cell it runs in. Anything else is
    compiled as IPython compiles it. (A notebook that edits a release cell's statements, as the
    shell's own compiler parsed them for it or reached through the interpreter's frames while
    the cell runs, finds its edit in the next parse of that cell's text, but the cell still
    runs as the instructor wrote it.)"""

    def __init__(self) -> None:
        super().__init__()
        self.transformers_in_use: Callable[[], bool] = lambda: False
        self._trees: dict[tuple[str, int], list[ast.stmt]] = {}
        self._codes: dict[tuple[int, str, int], tuple[ast.stmt, CodeType]] = {}

    def compiled_ahead(self, transformed: str, extra_flags: int) -> LearnedCell:
        """`transformed` parsed as IPython parses a cell, and each statement compiled as
        IPython compiles it when the cell's last value is shown and `extra_flags` are on (with
        the future statements of the statements before it in force, as IPython's are)."""
        statements = super().ast_parse(transformed, "<learned>").body
        codes = {}
        flags = self.flags
        for number, statement in enumerate(statements):
            last_value = number == len(statements) - 1 and isinstance(statement, ast.Expr)
            mode = "single" if last_value else "exec"
            module = ast.Interactive([statement]) if last_value else ast.Module([statement], [])
            code = compile(module, "<learned>", mode, flags | extra_flags, True)
            codes[(id(statement), mode, flags | extra_flags)] = (statement, code)
            flags = _with_futures(flags, code)
        return LearnedCell((transformed, self.flags), statements, codes)

    def learn(self, cell: LearnedCell) -> None:
        """Keep a cell compiled ahead, for its parse and its statements' compiling."""
        self._trees[cell.key] = cell.statements
        self._codes.update(cell.codes)

    def ast_parse(self, source: str, filename: str = "<unknown>", symbol: str = "exec") -> Any:
        learned = self._trees.get((source, self.flags)) if type(source) is str else None
        if learned is None or symbol != "exec" or self.transformers_in_use():
            return super().ast_parse(source, filename, symbol)
        return ast.Module(list(learned), [])

    def __call__(self, source: Any, filename: str, symbol: str, **kwargs: Any) -> CodeType:
        body = getattr(source, "body", None) if type(source) in _WRAPPERS else None
        learned = (
            self._codes.get((id(body[0]), symbol, self.flags))
            if type(body) is list and len(body) == 1 and not kwargs
            else None
        )
        if learned is None or learned[0] is not body[0]:
            return super().__call__(source, filename, symbol, **kwargs)
        code = renamed(learned[1], filename)
        self.flags = _with_futures(self.flags, code)
        return code


_WRAPPERS = (ast.Module, ast.Interactive)


@dataclass(frozen=True)
class LearnedCell:
    """A cell compiled ahead: its statements, and each one's code by (statement, mode, flags)."""

    key: tuple[str, int]  # (its text, the compiler's flags it was parsed with)
    statements: list[ast.stmt]
    codes: dict[tuple[int, str, int], tuple[ast.stmt, CodeType]]


def _with_futures(flags: int, code: CodeType) -> int:
    """`flags` with the future statements `code` puts in force, as `codeop.Compile` keeps
    them for what it compiles next."""
    for feature in codeop._features:
        if code.co_flags & feature.compiler_flag:
            flags |= feature.compiler_flag
    return flags


def renamed(code: CodeType, filename: str) -> CodeType:
    """`code` and every code object in it, as compiled under `filename`."""
    if code.co_filename == filename:
        return code
    consts = tuple(
        renamed(const, filename) if type(const) is CodeType else const for const in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)
