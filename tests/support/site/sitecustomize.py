"""Run at the start of every Python process the suite starts with `course.kernel_env()`
(nbgrader's commands, the `alembic` they start, Jupyter servers and kernels): each does
without jsonschema's rfc3987_syntax, as the kit's own processes do (`autograder/__init__.py`
says why), instead of compiling its grammars for 1.5 s of CPU. No schema nbgrader or Jupyter
validates uses the format it checks."""

import autograder  # noqa: F401
