"""Generated notebooks (Hypothesis): what students write in the cells around graded cells,
drawn from the places where running a cell differs from running its code as plain Python.

Names are few (`f`, `g`, `x`, `y`, `Box`, the module `helper`), so cells define, redefine,
use and delete the same names. `Undefined` is never defined: an annotation naming it raises
unless annotations are left unevaluated. Magics take `-n1 -r1` where they time, so a run
costs one call.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tests.support.fidelity import GRADED, Step

FUNCTIONS = ("f", "g")
VALUES = ("x", "y")
NAMES = (*FUNCTIONS, *VALUES, "Box", "helper")
FUTURE = "from __future__ import annotations"

constants = st.integers(min_value=0, max_value=9)
annotations = st.sampled_from(["", ": int", ": Undefined"])
returns = st.sampled_from(["", " -> int", " -> Undefined"])


@st.composite
def function_definitions(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(FUNCTIONS))
    result = draw(st.sampled_from(["v + {k}", "v + x", "g(v)", "Box().value() + v"])).format(
        k=draw(constants)
    )
    return f"def {name}(v{draw(annotations)}=1){draw(returns)}:\n    return {result}"


@st.composite
def class_definitions(draw: st.DrawFn) -> str:
    return (
        f"class Box:\n    size{draw(annotations)} = {draw(constants)}\n\n"
        "    def value(self):\n        return self.size"
    )


@st.composite
def assignments(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(VALUES))
    value = draw(
        st.sampled_from(["{k}", "x + {k}", "y + {k}", "f()", "Box().value()", "helper.VALUE"])
    ).format(k=draw(constants))
    return f"{name}{draw(annotations)} = {value}"


def module_source(k: int) -> str:
    """What a helper module written to the working directory holds."""
    return f"VALUE = {k}\n\n\ndef twice(v=1):\n    return 2 * v\n"


simple_statements = st.one_of(
    constants.map(lambda k: f"x = {k}"),
    st.sampled_from(["1 / 0", "f()", "y = f()"]),
)
line_magics = st.one_of(
    simple_statements.map(lambda line: f"%time {line}"),
    simple_statements.map(lambda line: f"%timeit -n1 -r1 {line}"),
    st.sampled_from(["%autosave 0", "%connect_info"]),  # the kernel's own magics
)
statements = st.one_of(
    function_definitions(),
    class_definitions(),
    assignments(),
    st.sampled_from(VALUES).map(lambda name: f"{name}: Undefined"),
    st.sampled_from(NAMES).map(lambda name: f"del {name}"),
    st.sampled_from(VALUES).map(lambda name: f"global {name}"),
    st.sampled_from(['raise ValueError("boom")', "1 / 0"]),
    st.sampled_from(["import helper", "from helper import VALUE"]),
    constants.map(lambda k: f"open('helper.py', 'w').write({module_source(k)!r})"),
    line_magics,
)


@st.composite
def code(draw: st.DrawFn) -> str:
    """Statements, sometimes with a `from __future__` import among them (mostly first)."""
    lines = draw(st.lists(statements, min_size=1, max_size=4))
    if draw(st.integers(min_value=0, max_value=3)) == 3:
        at = draw(st.sampled_from([0, 0, 0, len(lines)]))
        lines.insert(at, FUTURE)
    return "\n".join(lines)


cell_magics = st.sampled_from(["%%timeit -n1 -r1", "%%capture", "%%capture captured", "%%time"])
cells = st.one_of(
    code(),
    code(),
    st.builds(lambda magic, body: f"{magic}\n{body}", cell_magics, code()),
    constants.map(lambda k: f"%%writefile helper.py\n{module_source(k)}"),
)


@st.composite
def notebooks(draw: st.DrawFn) -> list[Step]:
    """Code cells with graded cells among them; a graded cell always ends the notebook (the
    kit runs nothing after the last)."""
    steps: list[Step] = [GRADED] if draw(st.integers(0, 5)) == 5 else []
    for cell in draw(st.lists(cells, min_size=1, max_size=6)):
        steps.append(cell)
        if draw(st.booleans()):
            steps.append(GRADED)
    if steps[-1] is not GRADED:
        steps.append(GRADED)
    return steps
