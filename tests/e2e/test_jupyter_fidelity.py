"""Each graded cell sees the namespace a Jupyter kernel would have there.

The same notebook runs in a real python3 kernel (nbclient) and through the kit's own
student-side execution; at every graded cell both namespaces are described by
`namespace_snapshot` and must be equal. Notebooks are generated (`notebook_grammar`) around
what running a cell does beyond running its code: magics, `from __future__` imports that
stay for later cells, annotations, modules written to the working directory, names deleted,
redefined and raised past. The explicit examples pin down what Jupyter does in each class.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.support.fidelity import (
    GRADED,
    Snapshot,
    Step,
    disagreement,
    fresh_directory,
    with_module_name,
)
from tests.support.jupyter import JupyterKernel, jupyter_kernel
from tests.support.kit_execution import kit_snapshots
from tests.support.notebook_grammar import FUTURE, notebooks

pytestmark = pytest.mark.slow

NOTEBOOKS_PER_RUN = 300
_module_numbers = itertools.count(1)


def new_module_name() -> str:
    return f"helper_{next(_module_numbers)}"


def seen_by_both(kernel: JupyterKernel, workspace: Path, notebook: list[Step]) -> list[Snapshot]:
    """The snapshots at each graded cell, once Jupyter and the kit are shown to agree on them
    (the notebook, both snapshots and the cells' errors in Jupyter are shown if not). The
    helper module is given a name of its own to run; in the snapshots it is `helper` again."""
    module = new_module_name()
    steps = with_module_name(notebook, module)
    jupyter = kernel.run(steps, fresh_directory(workspace))
    kit = kit_snapshots(steps, fresh_directory(workspace))
    report = disagreement(steps, jupyter.snapshots, kit, jupyter.errors)
    if report is not None:
        raise AssertionError(report)
    return [
        {
            name.replace(module, "helper"): value.replace(module, "helper")
            for name, value in seen.items()
        }
        for seen in jupyter.snapshots
    ]


@settings(
    max_examples=NOTEBOOKS_PER_RUN,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(notebook=notebooks())
def test_every_graded_cell_sees_what_jupyter_sees(
    kernel: JupyterKernel, workspace: Path, notebook: list[Step]
) -> None:
    seen_by_both(kernel, workspace, notebook)


def test_a_new_notebook_sees_no_names(kernel, workspace):
    assert seen_by_both(kernel, workspace, [GRADED]) == [{}]


def test_a_function_defined_in_a_timeit_cell_is_not_defined(kernel, workspace):
    notebook = ["%%timeit -n1 -r1\ndef g(v=1):\n    return v", GRADED]
    assert "g" not in seen_by_both(kernel, workspace, notebook)[0]


def test_a_timeit_line_assigns_nothing_and_the_cell_goes_on(kernel, workspace):
    [seen] = seen_by_both(kernel, workspace, ["%timeit -n1 -r1 x = 5\ny = 1", GRADED])
    assert "x" not in seen
    assert seen["y"] == "1"


def test_a_captured_cell_runs_and_binds_its_capture(kernel, workspace):
    [seen] = seen_by_both(kernel, workspace, ["%%capture captured\nx = 1", GRADED])
    assert seen["x"] == "1"
    assert seen["captured"] == "IPython.utils.capture.CapturedIO object"


def test_a_timed_line_that_raises_stops_its_cell(kernel, workspace):
    [seen] = seen_by_both(kernel, workspace, ["x = 0", "%time 1 / 0\nx = 1", GRADED])
    assert seen["x"] == "0"


def test_a_timed_line_told_not_to_raise_lets_its_cell_go_on(kernel, workspace):
    [seen] = seen_by_both(kernel, workspace, ["%time --no-raise-error 1 / 0\nx = 1", GRADED])
    assert seen["x"] == "1"


def test_an_annotation_naming_an_undefined_name_raises(kernel, workspace):
    notebook = ["def f(v: Undefined = 1):\n    return v", "x: Undefined = 1\ny = 2", GRADED]
    [seen] = seen_by_both(kernel, workspace, notebook)
    assert "f" not in seen
    assert seen["x"] == "1"  # assigned before its annotation is evaluated
    assert "y" not in seen


def test_a_future_import_holds_for_later_cells(kernel, workspace):
    notebook = [FUTURE, "def f(v: Undefined = 1):\n    return v", GRADED]
    [seen] = seen_by_both(kernel, workspace, notebook)
    assert seen["f"] == "function annotated {v: 'Undefined'} () -> 1; (3,) -> 3"


def test_annotations_are_evaluated_without_a_future_import(kernel, workspace):
    [seen] = seen_by_both(kernel, workspace, ["def f(v: int = 1):\n    return v", GRADED])
    assert seen["f"] == "function annotated {v: int} () -> 1; (3,) -> 3"


def test_a_module_written_with_writefile_can_be_imported(kernel, workspace):
    notebook = ["%%writefile helper.py\nVALUE = 4\n", "import helper", GRADED]
    [seen] = seen_by_both(kernel, workspace, notebook)
    assert seen["helper"] == "module helper {VALUE=4}"


def test_a_module_written_with_open_can_be_imported(kernel, workspace):
    notebook = ["open('helper.py', 'w').write('VALUE = 4\\n')", "from helper import VALUE", GRADED]
    [seen] = seen_by_both(kernel, workspace, notebook)
    assert seen["VALUE"] == "4"


def test_each_graded_cell_sees_only_the_cells_before_it(kernel, workspace):
    notebook = [
        "x = 1\ndef f(v=1):\n    return v",
        GRADED,
        "del x\ndef f(v=1):\n    return v + 1",
        GRADED,
    ]
    before, after = seen_by_both(kernel, workspace, notebook)
    assert before == {"f": "function () -> 1; (3,) -> 3", "x": "1"}
    assert after == {"f": "function () -> 2; (3,) -> 4"}


def test_a_cell_that_raises_keeps_what_it_defined_before(kernel, workspace):
    notebook = ["x = 1\nraise ValueError('boom')\ny = 2", GRADED]
    assert seen_by_both(kernel, workspace, notebook) == [{"x": "1"}]


def test_each_notebook_starts_from_the_state_of_a_new_kernel(kernel, workspace):
    """What makes reusing one kernel faithful: after any notebook, the next one starts with
    the names, compiler flags, warning filters, import path and empty working directory a
    new kernel has."""
    leaves_traces = [
        "import warnings\nwarnings.simplefilter('error')",
        f"{FUTURE}\nx: Undefined = 1",
        "%%writefile helper.py\nVALUE = 1\n",
        "import helper\nimport os\ndef f(v=1):\n    return v",
        "%%capture captured\nos.chdir('..')",
        "1 / 0",
    ]
    kernel.run(with_module_name(leaves_traces, new_module_name()), fresh_directory(workspace))
    kernel.begin(fresh_directory(workspace))
    reused = kernel.state()
    with jupyter_kernel(fresh_directory(workspace)) as new:
        assert reused == new.state()
