"""The hidden checks, written as pytest tests: the fifth stage, where the judge's questions
meet the student's answers.

Every check is a test function marked with `@check(id, points)` in a module whose `CATEGORY`
names the graded cell it counts towards. It receives the `student` fixture (see
`autograder.judge.student.Student`), the `reference` fixture (the judge's float64 copy of the
exercise, with the correct answers) and the `unseen` fixture (inputs drawn for this grading run
from a secret seed), asks the student's functions a question, compares the answer with the
reference, and calls `fail(message, mistake)` when it is wrong, naming the mistake it
recognised so the feedback need not guess again.

No vacuous credit: a check awards its points only for behaviour that does the job it names.
Before judging a property of the loss (a scalar tensor, inputs left alone, a gradient that
flows), the loss must compute something from its inputs: the same value for the same inputs,
another value when y or y_guess changes. Before judging what `update()` does to the gradient,
or whether it keeps learning and converges, its step must be a step along the gradient (of any
size or sign). A no-op, a constant, `None`, a random number or a jump to a fixed point earns
nothing in a category whose job it does not do. `autograder.judge.expect` holds these
preconditions, with the comparisons and wording every check shares.
"""
