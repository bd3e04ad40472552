"""Stage 1, intake: from what the grader hands in to what is graded.

Finds each student's submission in an nbgrader course, an LMS download, a folder or a zip
(`submissions`, with `course_tree`, `lms` and `archive` for the layouts), walks each student's
files as a person would see them (`handed_in`), picks the notebook they are graded on by one
rule (`choice`), gives every student an id whatever their file is called and names the files
that belong to it (`ids`), reads submission times (`times`), and lays each notebook over the
trusted release into the steps its grading runs (`notebook`). It never runs or transforms
student code, and its work on a file is bounded by caps.
"""
