"""The lesson's own training cell, run again from another start: how `update()` is asked.

`update()` is judged on the calls the lesson's training makes, and a student's `update()` may
read what the training loop sets as it goes (the epoch, the losses so far). So each question
runs the trusted release copy of the training cell itself: what it binds lands in the
notebook's namespace, where the student's `update()` reads it; what else it reads is what the
namespace held when the notebook's own training cell ran (`names_then`), so a cell the student
ran after it (`del torch`) changes nothing, as it changed nothing in Jupyter; so are the warning
filters it runs under (`filters_then`): a warning made an error before training raises in the
replay, one made an error only after it does not. Its first call
of `update()` finds `a` replaced by the question's parameter, the state of `a` is read after
each call, and the run stops once the question's calls are made. The names the cell binds,
and `update` itself, are given back afterwards, so the notebook keeps its own.

The loss is asked the same way, at its own graded cell: the cell runs with the namespace as it
stands there, a stand-in `update()` that calls the student's loss as update() does, and the
student's loss in place of `mean_squared_error` (see `reporter.Reporter.loss_training`).
"""

from __future__ import annotations

import ast
import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from functools import partial
from types import CodeType
from typing import Any

from IPython.core.inputtransformer2 import TransformerManager

from autograder.inside.learned import renamed, worked_out

_MISSING = object()


class Enough(BaseException):
    """The question's calls are made: the rest of the training cell is not run."""


class TrainingFailed(Exception):
    """The replayed training cell's own code raised, outside any call of `update()` (the
    student's notebook left it without a name it needs, say); its cause is the error."""


@dataclass
class _Questioning:
    """What `_Asked` keeps of its own: the student's function, what to do around its calls,
    how many to make, how many are made, and whether one is under way."""

    function: Any
    begin: Callable[[], None]
    after_each: Callable[[], None]
    calls: int
    made: int = 0
    in_update: bool = False  # until a call returns, what is raised is update()'s


class _Asked:
    """`update` while the training cell is replayed: the student's function, with `a` handed
    over before its first call and its state read after each. Every other attribute is the
    student's function's own, so `update.calls += 1` inside it counts on the function; the
    kit's own state sits under one name-mangled attribute no function of theirs would use."""

    def __init__(
        self, function: Any, begin: Callable[[], None], after_each: Callable[[], None], calls: int
    ) -> None:
        object.__setattr__(self, "_Asked__asking", _Questioning(function, begin, after_each, calls))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        asking = self.__asking
        if asking.made == 0:
            asking.begin()
        asking.made += 1
        asking.in_update = True
        result = asking.function(*args, **kwargs)
        asking.in_update = False
        asking.after_each()
        if asking.made >= asking.calls:
            raise Enough
        return result

    def raised_in_update(self) -> bool:
        return self.__asking.in_update

    def __getattr__(self, name: str) -> Any:  # any name but the kit's own
        return getattr(self.__asking.function, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.__asking.function, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self.__asking.function, name)


class _Scope(MutableMapping[str, Any]):
    """The replayed cell's own names: those it binds, and those the question gives, live in
    the notebook's namespace; any other name it reads is not here (a `KeyError`), so Python
    looks it up in the namespace as it was when the training cell ran."""

    def __init__(self, namespace: MutableMapping[str, Any], own: set[str]) -> None:
        self.namespace = namespace
        self.own = own

    def __getitem__(self, name: str) -> Any:
        if name not in self.own:
            raise KeyError(name)
        return self.namespace[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self.namespace[name] = value

    def __delitem__(self, name: str) -> None:
        del self.namespace[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.own)

    def __len__(self) -> int:
        return len(self.own)


_compiled_ahead: dict[str, tuple[CodeType, frozenset[str]]] = {}  # made by the fork server


def compile_ahead(sources: Iterable[str]) -> None:
    """Compile, before any student process is forked, each of `sources` as a training cell is
    compiled (the fork server does not know which of the release's cells the plan will name
    as training), so that no student process compiles it again. A source that fails or warns
    is left to be compiled where it is replayed, to fail or warn there (`worked_out`)."""
    for source in sources:
        compiled = worked_out(partial(_compiled, source))
        if compiled is not None:
            _compiled_ahead[source] = compiled


def _compiled(source: str) -> tuple[CodeType, frozenset[str]]:
    """The cell's code, transformed as IPython transforms it, and the names it binds."""
    python = TransformerManager().transform_cell(source)
    return compile(python, "<training>", "exec"), frozenset(bound_names(python))


class TrainingReplay:
    """The training cell's source, compiled once, and the names it binds."""

    def __init__(self, source: str, label: str = "<training>") -> None:
        ahead = _compiled_ahead.get(source) if type(source) is str else None
        code, self.bound = ahead or _compiled(source)
        self.code = renamed(code, label)
        self.names_then: dict[str, Any] | None = None  # the namespace as training found it
        self.filters_then: list[Any] | None = None  # the warning filters it ran under

    def found(self, namespace: MutableMapping[str, Any]) -> None:
        """Keep what the notebook's own training cell finds as it starts to run. Filters that
        are not a list (a notebook may rebind `warnings.filters`) are read as they stand then."""
        self.names_then = dict(namespace)
        filters = warnings.filters
        self.filters_then = list.copy(filters) if issubclass(type(filters), list) else None

    def run(
        self,
        namespace: MutableMapping[str, Any],
        given: dict[str, Any],
        as_trained: bool,
        asked: _Asked | None = None,
    ) -> None:
        """Run the training cell once with the `given` names in the namespace. `as_trained`,
        every other name it reads, and the warning filters it runs under, are those the
        notebook's own training cell found; otherwise those that stand now. It stops quietly
        when a stand-in says the question's calls are made (`Enough`); what `asked` raised in
        one of its calls is raised as it is; anything else the cell raised is `TrainingFailed`.
        The namespace's own names come back in any case."""
        names = {*given, *self.bound, "a"}
        saved = {name: namespace.get(name, _MISSING) for name in names}
        namespace.update(given)
        then = self.names_then if as_trained and self.names_then is not None else namespace
        try:
            with _warning_filters(self.filters_then if as_trained else None):
                exec(self.code, then, _Scope(namespace, names))  # the release's own training cell
        except Enough:
            pass
        except Exception as raised:
            if asked is not None and asked.raised_in_update():
                raise
            raise TrainingFailed() from raised
        finally:
            for name, value in saved.items():
                if value is _MISSING:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    def ask_update(
        self,
        namespace: MutableMapping[str, Any],
        given: dict[str, Any],
        update: Any,
        parameter: Any,
        calls: int,
        after_each: Callable[[], None],
    ) -> None:
        """Run the training cell as it ran, with `given` names, `update` asked through
        `_Asked`, and `parameter` as `a` from the first call on, until `calls` calls are made;
        what the student's update() raised is raised here."""

        def begin() -> None:
            namespace["a"] = parameter

        asked = _Asked(update, begin, after_each, calls)
        self.run(namespace, {**given, "update": asked}, as_trained=True, asked=asked)


@contextlib.contextmanager
def _warning_filters(filters: list[Any] | None) -> Iterator[None]:
    """`filters` in force inside (None: those in force now), the ones before them after. The
    inner `catch_warnings` is what makes Python forget which warnings it has shown already,
    as any change of filters must."""
    with warnings.catch_warnings():
        if filters is not None:
            warnings.filters = list(filters)
        with warnings.catch_warnings():
            yield


def bound_names(python: str) -> set[str]:
    """The names a cell's code binds in the namespace it runs in (not inside functions or
    classes it defines)."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(python)]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp)):
            continue  # their names are their own
        elif isinstance(node, ast.GeneratorExp):
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found
