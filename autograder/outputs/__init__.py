"""Stage 8, outputs: from the stored records to every file other people and tools read.

`publish` runs the writers in order (`tables` for results.json and grades.csv, `gradebook`
for nbgrader, the feedback pages and the class report); `summary` is what the grader sees in
the terminal while and after grading.
"""
