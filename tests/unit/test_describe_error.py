"""`describe_error` turns whatever a student's code raised into one short text, and never
raises itself: generated over every way an exception can be hostile, its class's name, what
its `__str__` does (any text, any length, raising any exception, `SystemExit` included, or
returning something that is not text), and where it was raised (a notebook cell or not)."""

from __future__ import annotations

import traceback
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.inside.reporter import describe_error

BASES = [Exception, ValueError, KeyError, BaseException, SystemExit, KeyboardInterrupt, Warning]
RAISED_BY_STR = [ValueError, RecursionError, MemoryError, SystemExit, KeyboardInterrupt]
hostile_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(["\udc80", "\x1b", "\u202e", "\n", "\r"])),
    max_size=3000,
)


def str_that(behaviour: tuple[str, Any]) -> Any:
    kind, value = behaviour

    def __str__(self: BaseException) -> Any:
        if kind == "raises":
            raise value("from __str__")
        return value

    return __str__


class NameRaises(type):
    """A metaclass whose classes' `__name__` cannot be read."""

    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("no name")


@st.composite
def hostile_errors(draw: st.DrawFn) -> BaseException:
    base = draw(st.sampled_from(BASES))
    behaviour = draw(
        st.one_of(
            st.tuples(st.just("returns"), hostile_text),
            st.tuples(st.just("returns"), st.sampled_from([None, 42, b"bytes", ["a"]])),
            st.tuples(st.just("raises"), st.sampled_from(RAISED_BY_STR)),
        )
    )
    namespace = {"__str__": str_that(behaviour)}
    # any name a class can have: Python refuses one holding NUL or a lone surrogate
    name = draw(
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=200,
        )
    )
    if draw(st.booleans()):
        kind = NameRaises(name or "E", (base,), namespace)
    else:
        kind = type(name or "E", (base,), namespace)
    error = kind()
    where = draw(st.sampled_from(["<cell 7>", "<cell 3 (training)>", "kit.py", "<string>"]))
    if draw(st.booleans()):  # raised, so that it carries a traceback from `where`
        code = compile("raise error", where, "exec")
        try:
            exec(code, {"error": error})
        except BaseException as raised:
            error = raised
    return error


@settings(max_examples=300, deadline=None)
@given(hostile_errors())
def test_describe_error_says_something_short_of_any_error_and_never_raises(error: BaseException):
    said = describe_error(error)
    assert isinstance(said, str)
    assert 0 < len(said) <= 500


def test_describe_error_names_the_type_the_message_and_the_cell():
    try:
        exec(compile("raise ValueError('first line\\nsecond')", "<cell 7>", "exec"))
    except ValueError as raised:
        assert describe_error(raised) == "ValueError: first line (cell 7, line 1)"


frame_chains = st.lists(  # (cell or module, blank lines before the call or raise), outermost first
    st.tuples(st.booleans(), st.integers(min_value=0, max_value=5)), min_size=1, max_size=6
)


def _raised_through(chain: list[tuple[bool, int]]) -> BaseException:
    """An error raised through a chain of frames, each compiled as a cell (`<cell N>`) or as a
    module file, each calling the next after some blank lines; the innermost raises."""
    call: Any = None
    for depth, (in_cell, blank) in reversed(list(enumerate(chain))):
        body = "raise ValueError('deep')" if call is None else "inner()"
        source = "def run(inner):\n" + "\n" * blank + f"    {body}\n"
        filename = f"<cell {depth + 1}>" if in_cell else f"/lib/module_{depth}.py"
        namespace: dict[str, Any] = {}
        exec(compile(source, filename, "exec"), namespace)
        call = (lambda run, inner: lambda: run(inner))(namespace["run"], call)
    try:
        call()
    except ValueError as raised:
        return raised
    raise AssertionError("nothing was raised")


@given(frame_chains)
def test_describe_error_points_at_the_innermost_cell_where_python_s_traceback_does(chain):
    raised = _raised_through(chain)
    cells = [
        frame
        for frame in traceback.extract_tb(raised.__traceback__, limit=None)
        if frame.filename.startswith("<cell")
    ]
    where = f" ({cells[-1].filename.strip('<>')}, line {cells[-1].lineno})" if cells else ""
    assert describe_error(raised) == f"ValueError: deep{where}"
