"""The instructor's own notebook, run top to bottom in a Jupyter kernel as `nbgrader validate`
runs it: every cell in order, in the notebook's folder, the graded cells' hidden tests
included. A cell that fails there fails for the reference itself: a quick test whose
expectation no longer fits an edited lesson, or a graded cell whose checks refuse the lesson.
"""

from __future__ import annotations

from pathlib import Path

from autograder.intake.notebook import nbgrader_metadata
from autograder.text import one_line

KERNEL_SECONDS = 300


def failing_cells(source: Path) -> list[str]:
    """One line per cell of `source` that raised when run in a kernel: its place, its grade
    id and the error it raised."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=KERNEL_SECONDS,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(source.parent)}},
    )
    client.execute()
    failed = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                grade_id = nbgrader_metadata(cell).get("grade_id", "")
                error = one_line(f"{output.get('ename')}: {output.get('evalue')}")[:300]
                failed.append(f"cell {index + 1} ({grade_id}) fails for the reference: {error}")
    return failed
