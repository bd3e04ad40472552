"""Stage 6, batch: grading a whole class, and keeping its records.

`grading` spreads the submissions over judge worker processes, grades what is new or changed,
contains every failure to its own student's row and survives dying workers and Ctrl-C;
`store` keeps one record file per student and what the run was (its seed, its time);
`catalogue` and `selftest` grade typical answers to prove the grading still means what it says.
"""
