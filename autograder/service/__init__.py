"""The grading service: each submission graded the moment it reaches nbgrader's exchange, and
its feedback released there, so that a student's `nbgrader fetch_feedback` shows it."""
