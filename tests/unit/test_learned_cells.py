"""A shell that learned the release's cells in the fork server runs every cell as IPython does.

`StudentShell.learn` works out IPython's part of running a cell (its static transformations,
and whether the result awaits at top level) before any student process is forked. The class:
any cell text (Python, magics, shell escapes, prompts, help, top-level `await`, broken code,
one line or many), learned or not, is transformed and judged to await exactly as by
IPython's own classes, and so is anything else a notebook hands them; once a notebook
changes the transformations (adds, removes, moves or replaces one, swaps the manager, turns
`autoawait` off), a learned cell runs as it would in a kernel that never learned it; and
learning runs nothing.

The same class for the compiling of a learned cell (`LearnedCompiler`): whatever cell a shell
learned and whatever the notebook did to the shell before it (a future statement, `autoawait`
off, another `ast_node_interactivity`, an AST transformer that rewrites statements in place),
every statement IPython runs is the code IPython's own compiler makes of it, named after the
cell it runs in, field for field, and the compiler's flags after it are IPython's; while the
release's cells run in a shell prepared as the fork server prepares it, IPython parses and
compiles none of them again.
"""

from __future__ import annotations

import codeop
import contextlib
import io
import warnings
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from IPython.core.compilerop import CachingCompiler
from IPython.core.inputtransformer2 import TokenTransformBase, TransformerManager
from IPython.core.interactiveshell import InteractiveShell

from autograder.exercise import release_notebook
from autograder.inside import responder
from autograder.inside.shell import StudentShell
from autograder.intake.notebook import load_release
from tests.support.cells import LINES, code_fields

# Lines from the forms IPython treats specially, and any text at all (a student's cell can
# hold anything, and the lookup is keyed by the cell's text).
lines = st.one_of(st.sampled_from(LINES), st.text(max_size=40))
cells = st.lists(lines, min_size=1, max_size=6).map("\n".join)


@pytest.fixture(scope="module")
def shells() -> tuple[StudentShell, StudentShell]:
    """(one with IPython's own transformations, one that learns each cell it is given)."""
    plain = StudentShell([])
    plain.input_transformer_manager = TransformerManager()
    return plain, StudentShell([])


def _ipythons_own_should_run_async(shell: StudentShell, cell, transformed):
    return InteractiveShell.should_run_async(shell, cell, transformed_cell=transformed)


def _outcome(function, *args, **kwargs) -> tuple[str, object, list[tuple[type, str]]]:
    """What a call gave or raised, and what it warned."""
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        try:
            result = ("value", function(*args, **kwargs))
        except Exception as error:  # noqa: BLE001 - the same failure is the same outcome
            result = ("raised", type(error))
    return (*result, [(warning.category, str(warning.message)) for warning in warned])


@settings(max_examples=300, deadline=None)
@given(cell=cells)
def test_a_learned_cell_is_transformed_and_awaits_as_ipython_says(shells, cell):
    plain, learned = shells
    learned.learn([cell])
    transformed = _outcome(plain.transform_cell, cell)
    assert _outcome(learned.transform_cell, cell) == transformed
    if transformed[0] == "value":
        awaits = _outcome(_ipythons_own_should_run_async, plain, cell, transformed[1])
        assert _outcome(learned.should_run_async, cell, transformed_cell=transformed[1]) == awaits


class _Text(str):
    """Text whose every comparison fails, as a notebook's cell might pass."""

    def __eq__(self, other):
        raise RuntimeError("compared")

    __hash__ = str.__hash__


@pytest.mark.parametrize("given", [["x = 1\n"], 7, None, _Text("x = 1\n")], ids=repr)
def test_what_a_notebook_hands_the_transformations_gets_ipythons_own_answer(shells, given):
    plain, learned = shells
    learned.learn(["x = 1\n"])
    manager = learned.input_transformer_manager
    assert _outcome(manager.transform_cell, given) == _outcome(
        plain.input_transformer_manager.transform_cell, given
    )
    assert _outcome(learned.should_run_async, "x", transformed_cell=given) == _outcome(
        _ipythons_own_should_run_async, plain, "x", given
    )


def _doubling(lines: list[str]) -> list[str]:
    return [line.replace("= 1", "= 2") for line in lines]


class _Doubled(TokenTransformBase):
    """A token transformer that turns `value = 1` into `value = 2`."""

    @classmethod
    def find(cls, tokens_by_line):
        for number, tokens in enumerate(tokens_by_line, start=1):
            if [token.string for token in tokens[:3]] == ["value", "=", "1"]:
                return cls((number, 0))
        return None

    def transform(self, lines: list[str]) -> list[str]:
        changed = list(lines)
        changed[self.start_line] = changed[self.start_line].replace("= 1", "= 2")
        return changed


# What a notebook's cell does to the transformations, and what `value` then holds after the
# learned cell (None: the cell failed, its magic no longer transformed).
CHANGES = {
    "a cleanup transform added": (
        "get_ipython().input_transformers_cleanup.append(_doubling)",
        2,
    ),
    "a line transform added": (
        "get_ipython().input_transformer_manager.line_transforms.insert(0, _doubling)",
        2,
    ),
    "a token transformer added after the others": (
        "get_ipython().input_transformer_manager.token_transformers.append(_Doubled)",
        2,
    ),
    "a post transform added": ("get_ipython().input_transformers_post.append(_doubling)", 2),
    "the cleanup transforms replaced, as many as before": (
        "m = get_ipython().input_transformer_manager\n"
        "m.cleanup_transforms = [_doubling, *m.cleanup_transforms[1:]]",
        2,
    ),
    "the magics' token transformer removed": (
        "from IPython.core.inputtransformer2 import EscapedCommand\n"
        "get_ipython().input_transformer_manager.token_transformers.remove(EscapedCommand)",
        None,
    ),
    "the line transform moved among the token transformers": (
        "m = get_ipython().input_transformer_manager\n"
        "m.token_transformers.insert(0, m.line_transforms.pop())",
        None,
    ),
    "the manager replaced": (
        "from IPython.core.inputtransformer2 import TokenTransformBase, TransformerManager\n"
        "manager = TransformerManager()\n"
        "manager.cleanup_transforms.append(_doubling)\n"
        "get_ipython().input_transformer_manager = manager",
        2,
    ),
    "nothing changed": ("pass", 1),
}
LEARNED_CELL = "value = 1\n%time value = value\n"


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_once_a_notebook_changes_the_transformations_a_learned_cell_runs_as_in_a_kernel(change):
    code, expected = CHANGES[change]
    results = []
    for learns in (False, True):
        shell = StudentShell([])
        if learns:
            shell.learn([LEARNED_CELL])
        shell.user_ns.update(_doubling=_doubling, _Doubled=_Doubled)
        assert shell.run(code, "cell 1") is None
        with contextlib.redirect_stdout(io.StringIO()):
            shell.run(LEARNED_CELL, "cell 2")
        results.append(shell.user_ns.get("value"))
    assert results == [expected, expected]


def test_with_autoawait_off_a_learned_cell_that_awaits_is_not_run_as_a_coroutine():
    cell = "import asyncio\nawait asyncio.sleep(0)\ndone = True\n"
    outcomes = []
    for learns in (False, True):
        shell = StudentShell([])
        if learns:
            shell.learn([cell])
        shell.run("%autoawait off", "cell 1")
        error = shell.run(cell, "cell 2")
        outcomes.append((type(error), shell.user_ns.get("done")))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] is SyntaxError


def test_learning_runs_nothing():
    release = load_release(release_notebook())
    fresh, learned = StudentShell([]), StudentShell([])
    learned.learn(release.read_only_sources)
    assert learned.execution_count == fresh.execution_count
    assert set(learned.user_ns) == set(fresh.user_ns)
    assert learned.user_ns["In"] == fresh.user_ns["In"]
    assert learned.user_ns["Out"] == fresh.user_ns["Out"]


@pytest.fixture
def prepared() -> Iterator[list[str]]:
    """The release's read-only cells, prepared as a fork server prepares them; the shell it
    makes is taken back afterwards, so no other test's student side starts with it."""
    cells = list(load_release(release_notebook()).read_only_sources)
    responder.prepare(cells)
    try:
        yield cells
    finally:
        responder._prepared.clear()


def test_a_student_process_starts_with_the_cells_its_fork_server_learned(prepared, monkeypatch):
    shell = responder._fresh_shell([])

    def not_asked(self, cell):
        raise AssertionError("IPython's transformation was asked again")

    monkeypatch.setattr(TransformerManager, "transform_cell", not_asked)
    for cell in prepared:
        shell.transform_cell(cell)
    with pytest.raises(AssertionError, match="asked again"):
        shell.transform_cell("a_cell_not_learned = 1\nb = 2\n")


class _RewriteNumbers:
    """An AST transformer that adds one to every whole number, changing the nodes in place."""

    def visit(self, node):
        import ast

        for each in ast.walk(node):
            if isinstance(each, ast.Constant) and type(each.value) is int:
                each.value += 1
        return node


# What an earlier cell of the notebook did to the shell the learned cell then runs in.
BEFORE = {
    "nothing": "pass",
    "a future statement": "from __future__ import annotations",
    "autoawait off": "%autoawait off",
    "every value shown": "get_ipython().ast_node_interactivity = 'all'",
    "assignments shown": "get_ipython().ast_node_interactivity = 'last_expr_or_assign'",
    "no value shown": "get_ipython().ast_node_interactivity = 'none'",
    "an AST transformer": "get_ipython().ast_transformers.append(_RewriteNumbers())",
}


def _run_recording(shell: StudentShell, cell: str, label: str) -> tuple:
    """What running `cell` ran (every code object IPython ran, all its fields) and left."""
    ran = []
    run_code = shell.run_code

    async def recording(code, *args, **kwargs):
        ran.append(code_fields(code))
        return await run_code(code, *args, **kwargs)

    shell.run_code = recording
    printed = io.StringIO()
    with (
        contextlib.redirect_stdout(printed),
        contextlib.redirect_stderr(printed),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        error = shell.run(cell, label)
    del shell.run_code
    return tuple(ran), type(error), shell.compile.flags


@settings(max_examples=150, deadline=None)
@given(cell=cells, before=st.sampled_from(sorted(BEFORE)), twice=st.booleans())
@example(cell="from __future__ import annotations\nz = 5", before="nothing", twice=False)
@example(cell="x = 1\nfrom __future__ import annotations", before="nothing", twice=True)
@example(cell="z = 5", before="assignments shown", twice=True)
def test_a_learned_cell_runs_the_code_ipythons_own_compiler_makes(cell, before, twice):
    outcomes = []
    for learns in (False, True):
        shell = StudentShell([])
        if learns:
            shell.learn([cell])
        shell.user_ns.update(_RewriteNumbers=_RewriteNumbers, x=1, y=2)
        shell.run(BEFORE[before], "cell 1")
        runs = [_run_recording(shell, cell, "cell 2")]
        if twice:  # again, under another name and with the last value shown, as a notebook
            shell.run("get_ipython().ast_node_interactivity = 'last_expr'", "cell 3")
            runs.append(_run_recording(shell, cell, "cell 4"))
        runs.append(_run_recording(shell, "def after(v: later): return v\nafter", "cell 5"))
        outcomes.append(runs)
    assert outcomes[1] == outcomes[0]


def test_the_release_runs_without_ipython_parsing_or_compiling_a_cell_again(prepared, monkeypatch):
    shell = responder._fresh_shell([])
    asked = []
    parse, compile_ = CachingCompiler.ast_parse, codeop.Compile.__call__

    def parsing(self, source, *args, **kwargs):
        asked.append(("parsed", source))
        return parse(self, source, *args, **kwargs)

    def compiling(self, source, *args, **kwargs):
        asked.append(("compiled", source))
        return compile_(self, source, *args, **kwargs)

    monkeypatch.setattr(CachingCompiler, "ast_parse", parsing)
    monkeypatch.setattr(codeop.Compile, "__call__", compiling)
    for number, cell in enumerate(prepared, start=1):
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            shell.run(cell, f"cell {number}")
    assert asked == []
    shell.run("a_cell_not_learned = 1\nb = 2\n", "cell 99")
    assert [what for what, _ in asked] == ["parsed", "compiled", "compiled"]
