"""What a notebook's namespace holds at a graded cell, in terms two processes can compare.

The same function describes a Jupyter kernel's namespace (imported inside the kernel) and the
kit's (in the test process), so a difference between the two is a difference in what the
student's code did, never in how it was looked at. Objects are described by behaviour, not
identity: a function by what it returns (or raises) for fixed arguments, a class by the
instance it makes, a module by its public names, plain data by its repr.

Only the standard library is used: this module runs inside a bare kernel.
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Mapping
from typing import Any

Snapshot = dict[str, str]

# Every function is called with each of these; the generated functions take `v=1`.
ARGUMENTS: tuple[tuple[Any, ...], ...] = ((), (3,))

# IPython's own names (input and output history, exit/quit, the shell) and dunder names.
_ENVIRONMENT = re.compile(r"_{1,3}|_i+\d*|_\d+|_oh|_ih|_dh|In|Out|exit|quit|get_ipython|__\w+__")
# The one dunder name student code creates: a module-level annotation fills it.
_KEPT_DUNDER = "__annotations__"
_MAX_DEPTH = 2
_PLAIN = (bool, int, float, complex, str, bytes, type(None))


def snapshot(namespace: Mapping[str, Any], own: Mapping[str, Any] | None = None) -> Snapshot:
    """Each user name in `namespace`, with a description of how its value behaves.

    `own` is what the environment itself put in the namespace (IPython's `user_ns_hidden`,
    the kit's injected helpers): a name still bound to that same object is not the
    student's, as IPython's `%who` decides. Other private names are described by their type
    only: `%timeit` run inside a function leaves its timer's variables (`_t0`, `_timer`) in
    the namespace, with values that differ from run to run."""
    own = own or {}
    described: Snapshot = {}
    for name in sorted(namespace):
        value = namespace[name]
        if name != _KEPT_DUNDER and _ENVIRONMENT.fullmatch(name):
            continue
        if name in own and own[name] is value:
            continue
        if name == _KEPT_DUNDER:
            described[name] = _annotation_table(value)
        elif name.startswith("_"):
            described[name] = f"a {_type_name(type(value))}"
        else:
            described[name] = describe(value)
    return described


def describe(value: Any, depth: int = 0) -> str:
    """A stable description of `value`: equal descriptions mean it behaves the same."""
    if isinstance(value, _PLAIN):
        return repr(value)
    if depth > _MAX_DEPTH:
        return _type_name(type(value))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [describe(item, depth + 1) for item in value]
        if isinstance(value, (set, frozenset)):
            items.sort()
        return f"{type(value).__name__}[{', '.join(items)}]"
    if isinstance(value, dict):
        items = [f"{describe(k, depth + 1)}: {describe(v, depth + 1)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__} {_public(value, depth)}"
    if isinstance(value, type):
        return f"class {_type_name(value)} making {_outcome(value, (), depth)}"
    if inspect.isroutine(value):
        return f"function{_annotations(value)} " + "; ".join(
            f"{args} -> {_outcome(value, args, depth)}" for args in ARGUMENTS
        )
    if type(value).__module__ == "__main__":
        return f"{_type_name(type(value))} {_public(value, depth)}"
    return f"{_type_name(type(value))} object"


def _outcome(function: Any, args: tuple[Any, ...], depth: int) -> str:
    try:
        result = function(*args)
    except Exception as error:
        return f"raises {type(error).__name__}"
    return describe(result, depth + 1)


def _public(value: Any, depth: int) -> str:
    """The public attributes of a module or of an instance of a notebook's class; methods
    are called without arguments."""
    parts = []
    for name in sorted(dir(value)):
        if name.startswith("_"):
            continue
        try:
            attribute = getattr(value, name)
        except Exception as error:
            parts.append(f"{name}: raises {type(error).__name__}")
            continue
        if isinstance(attribute, types.MethodType):
            parts.append(f"{name}() -> {_outcome(attribute, (), depth)}")
        else:
            parts.append(f"{name}={describe(attribute, depth + 1)}")
    return "{" + ", ".join(parts) + "}"


def _annotations(function: Any) -> str:
    """A function's annotations as they were evaluated: names, or the text left unevaluated
    under `from __future__ import annotations`."""
    found = getattr(function, "__annotations__", None)
    if not isinstance(found, dict) or not found:
        return ""
    return f" annotated {_annotation_table(found)}"


def _annotation_table(found: Any) -> str:
    if not isinstance(found, dict):
        return describe(found)
    return "{" + ", ".join(f"{key}: {_annotation(value)}" for key, value in found.items()) + "}"


def _annotation(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, type):
        return _type_name(value)
    return _type_name(type(value))


def _type_name(kind: type) -> str:
    if kind.__module__ in ("builtins", "__main__"):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"
