"""Stage 1, intake: from what the grader hands in to what is graded.

Finds each student's submission in an nbgrader course, an LMS download, a folder or a zip
(`submissions`, `lms`), gives every student a safe id whatever their file is called (`ids`), and
lays each notebook over the trusted release into the steps its grading runs (`notebook`). It
never runs or transforms student code, and its work on a file is bounded by caps.
"""
