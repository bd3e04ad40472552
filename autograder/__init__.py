"""Grading kit for the gradient-descent-from-scratch exercise (fast.ai lesson 2).

The subpackages are the stages a submission passes through, in order; each imports only from
its own stage or an earlier one:

- `intake`: which files are whose submission, and the steps that grade each notebook;
- `sandbox`: confined, short-lived processes, and the wire protocol to them;
- `inside`: what runs in a student process: the notebook, and the reporter that answers;
- `judge`: the judge's side: its sessions with student processes, the hidden inputs and
  the reference maths, the runner that asks the questions, and the record of a result;
- `checks`: the hidden checks, as pytest tests;
- `batch`: grading a whole class across worker processes, and storing the records;
- `feedback`: a page for each student and the class report;
- `outputs`: results.json, grades.csv, the nbgrader gradebook, and the terminal summary.

`exercise`, `text` and `atomic` hold what every stage shares: the exercise's public setting,
text made safe for where it is shown, and writing files whole.
"""

import sys

# jsonschema (which nbformat imports) checks the "iri" format with rfc3987_syntax whenever that
# is installed (Jupyter's own packages install it), and rfc3987_syntax compiles 38 grammars as
# it is imported: 1.5 s of CPU in every process that reads a notebook. No schema the kit or
# nbgrader validates uses that format, so jsonschema is left to do without it.
sys.modules.setdefault("rfc3987_syntax", None)
