"""Stage 4, judge: asking the questions and deciding what the answers are worth.

`sandboxed` judges submissions whose notebooks run in a sandbox, through a `session` with each
student process; `runner` runs the hidden checks with pytest against any number of students,
behind the `student` interface; `reference` is the judge's own float64 maths, `hidden_inputs`
the inputs drawn per run, `expect` and `diagnosis` the comparisons, preconditions and named
mistakes the checks share, `check` the words they are written in. `record` is what a result is
kept as, `status` how a row's status and message are decided, `results` a table of checks,
and `in_notebook` the same checks inside an nbgrader kernel.
"""
