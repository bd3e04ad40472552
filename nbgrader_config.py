"""nbgrader settings for the gradient-descent course (this directory is the course root)."""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "gradient-descent"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# The one assignment of the course. nbgrader 0.9 registers an assignment in the
# gradebook the first time `nbgrader generate_assignment gradient_descent` runs.
c.GenerateAssignment.create_assignment = True

# Training runs 100 small steps; anything slower than this is a stuck kernel.
c.ExecutePreprocessor.timeout = 120

# What replaces the reference solution in the students' copy (nbgrader's default).
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
