"""Stage 7, feedback: what students and instructors read after a batch: one feedback page
per student and a class report, both made from the records the batch grader stores.

Everything here works from a record's values alone (scores, check messages and the numbers the
student's code produced), so pages can be rebuilt at any time without running student code.
"""

from __future__ import annotations

from autograder.feedback.pages import FeedbackWriter, write_feedback_pages
from autograder.feedback.report import write_class_report

__all__ = ["FeedbackWriter", "write_class_report", "write_feedback_pages"]
