"""Stage 7, feedback: what students and instructors read after a batch: one feedback page
per student and a class report, both made from the records the batch grader stores.

Everything here works from a record's values alone (scores, check messages and the numbers the
student's code produced), so pages can be rebuilt at any time without running student code.
"""
