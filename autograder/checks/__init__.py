"""The hidden checks, written as pytest tests: the fifth stage, where the judge's questions
meet the student's answers.

Every check is a test function marked with `@check(id, points)` in a module whose `CATEGORY`
names the graded cell it counts towards. It receives the `student` fixture (see
`autograder.judge.student.Student`; `student.hidden` holds the inputs drawn for this submission
from a secret seed) and the `reference` fixture (the judge's float64 copy of the lesson the
instructor's notebook states, with the correct answers), asks the student's functions a
question, compares the answer with the reference, and calls `fail(message, mistake)` when it is
wrong, naming the mistake it recognised so the feedback need not guess again.

Every call is judged: `update()` over whole training runs, call by call, from the first guess
and from hidden starts (see `autograder.judge.steps`); the loss on plain tensors, on a guess
that is part of a graph, and on `x @ a` at every position a training run passes through.

No vacuous credit: a check awards its points only for behaviour that does the job it names.
Before judging a property of the loss (a scalar tensor, inputs left alone, a gradient that
flows), the loss must compute something from its inputs: the same value for the same inputs,
another value when y or y_guess changes. Before judging what `update()` does to the gradient,
or whether it keeps learning and converges, its first step from every start must be a step
along the gradient (of any size or sign), and training converges only by steps along it.
A no-op, a constant, `None`, a random number or a jump to a fixed point earns
nothing in a category whose job it does not do. `autograder.judge.expect` holds these
preconditions, with the comparisons and wording every check shares.
"""
