"""The grader's own failure, as opposed to a student's."""


class GraderFault(Exception):
    """The hidden checks cannot run at all (none found, pytest refused them, no sandbox):
    grading stops, because no submission could be graded fairly."""
