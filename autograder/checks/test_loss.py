"""Checks for `mean_squared_error(y, y_guess)`, on every kind of input the lesson gives it:
plain tensors (as a cell that prints a loss), a guess that is part of a graph, and `x @ a` at
every position a training run passes through, called as the lesson's training cell calls it
(in `update()`, and by the cell itself each epoch), every call it makes."""

from __future__ import annotations

from collections.abc import Iterator

from autograder.inside.observations import OTHER_INPUTS, LossRun, LossTrainingRun
from autograder.judge.check import check, fail
from autograder.judge.diagnosis import (
    ITEM_IN_LOSS,
    LOSS_CHANGES_INPUT,
    LOSS_HARD_CODED,
    LOSS_NOT_SCALAR,
    diagnose_loss_values,
)
from autograder.judge.expect import a_loss_that_computes, close, first_far, loss_ran
from autograder.judge.reference import (
    Floats,
    Reference,
    as_floats,
    loss_gradient,
    mean_squared_error,
)
from autograder.judge.wording import number, vector

CATEGORY = "loss"


def lesson_runs(student, reference: Reference) -> list[tuple[str, LossRun, list, list]]:
    """(where, answer, y, y_guess) of the first guess on the lesson's data, as a graph and
    as plain tensors."""
    y, guess = reference.y_given, reference.prediction_given()
    return [
        ("at the first guess", student.loss(y, guess), y, guess),
        ("at the first guess, given plain tensors", student.loss(y, guess, plain=True), y, guess),
    ]


def unseen_runs(student) -> Iterator[tuple[LossRun, list, list, bool]]:
    """(answer, y, y_guess, plain) of every hidden pair, asked both ways."""
    for y, guess in student.hidden.loss_pairs:
        for plain in (False, True):
            yield student.loss(y, guess, plain=plain), y, guess, plain


def training_answers(student, reference: Reference) -> LossTrainingRun:
    """The loss as the lesson's training cell calls it, with `a` moved along a correct
    training run: in update(), one call per position, and the cell's own calls."""
    return student.loss_training(reference.training_path)


def both_training_answers(student, reference: Reference) -> Iterator[tuple[bool, list]]:
    """(by the cell, [(position's index, answer)]) of both ways the lesson's training calls the
    loss, every call it makes: a loss that keeps count of its calls, or reads the loop's
    state, is asked as training asks it."""
    training = training_answers(student, reference)
    for by_the_cell in (False, True):
        yield by_the_cell, training.calls(by_the_cell)


def where_training(reference: Reference, index: int, by_the_cell: bool = False) -> str:
    """How a message names the loss's call at the position before training's call `index + 1`."""
    if index == OTHER_INPUTS:
        return "the training cell's own call of mean_squared_error"
    position = vector(reference.training_positions[index])
    given = ", as the training cell itself calls it" if by_the_cell else ""
    return (
        f"mean_squared_error(y, x @ a) with a = {position}{given} (where correct training is "
        f"before call {index + 1})"
    )


@check("loss.returns_scalar_tensor", 1)
def test_the_loss_is_a_single_number_in_a_tensor(student, reference):
    a_loss_that_computes(student, reference)
    answers = [run for _, run, _, _ in lesson_runs(student, reference)]
    for _, calls in both_training_answers(student, reference):
        answers += [run for _, run in calls]
    for run in answers:
        loss_ran(run)
        if run.returned == "number":
            fail("returned a plain Python number, not a tensor", ITEM_IN_LOSS)
        if run.returned != "tensor":
            fail(f"returned a {run.returned}; the loss should be a torch tensor")
        if run.shape != []:
            shape = tuple(run.shape or [])
            fail(f"returned a tensor of shape {shape}, not one number", LOSS_NOT_SCALAR)


@check("loss.value_on_lesson_data", 1)
def test_the_loss_is_right_on_the_lesson_data_wherever_training_goes(student, reference):
    a_loss_that_computes(student, reference)
    for where, run, y, guess in lesson_runs(student, reference):
        loss_ran(run)
        expected = mean_squared_error(as_floats(y), as_floats(guess))
        if run.value is None:
            fail(f"{where} it returned {len(run.values or [])} values where one was expected")
        if not close([run.value], as_floats([expected])):
            fail(
                f"{where} it returned {number(run.value)} on the lesson data where "
                f"{number(expected)} was expected",
                diagnose_loss_values([(run.value, as_floats(y), as_floats(guess))]),
            )
    for by_the_cell, calls in both_training_answers(student, reference):
        for _, run in calls:
            loss_ran(run)
        judged = [(at, run) for at, run in calls if at != OTHER_INPUTS]
        values = [[run.value] if run.value is not None else None for _, run in judged]
        expected = reference.training_losses[[at for at, _ in judged]]
        wrong = first_far(values, expected) if judged else None
        if wrong is not None:
            at, run = judged[wrong]
            shown = "no single number" if run.value is None else number(run.value)
            position = reference.training_positions[at]
            fail(
                f"on {where_training(reference, at, by_the_cell)} it returned {shown}, not "
                f"{number(float(expected[wrong, 0]))}",
                diagnose_loss_values([(run.value, reference.y, reference.prediction(position))])
                if run.value is not None
                else None,
            )


@check("loss.value_on_unseen_inputs", 1)
def test_the_loss_is_right_for_other_lengths_and_values(student, reference):
    lesson_run = a_loss_that_computes(student, reference)
    first_guess = reference.prediction(reference.first_guess)
    right_on_lesson = lesson_run.value is not None and close(
        [lesson_run.value], as_floats([mean_squared_error(reference.y, first_guess)])
    )
    runs = []
    for run, y_values, guess_values, plain in unseen_runs(student):
        loss_ran(run)
        runs.append((run, as_floats(y_values), as_floats(guess_values), plain))
    for run, y, guess, plain in runs:
        if run.value is not None and close([run.value], as_floats([mean_squared_error(y, guess)])):
            continue
        shown = "no single number" if run.value is None else number(run.value)
        seen = [(r.value, y_, g_) for r, y_, g_, _ in runs if r.value is not None]
        if lesson_run.value is not None:
            seen.append((lesson_run.value, reference.y, first_guess))
        mistake = diagnose_loss_values(seen) if run.value is not None else None
        given = " given as plain tensors" if plain else ""
        fail(
            f"on {len(y)} other points{given} it returned {shown}, not the mean squared error "
            "of those points",
            mistake or (LOSS_HARD_CODED if right_on_lesson else None),
        )


@check("loss.gradient_reaches_guess", 1)
def test_the_gradient_flows_back_to_the_guess(student, reference):
    a_loss_that_computes(student, reference)
    y_values, guess_values = student.hidden.loss_pairs[-1]
    [(where, lesson_run, y, guess), _] = lesson_runs(student, reference)
    for run, targets, guesses in (
        (lesson_run, as_floats(y), as_floats(guess)),
        (student.loss(y_values, guess_values), as_floats(y_values), as_floats(guess_values)),
    ):
        _gradient_reached(run, "y_guess", loss_gradient(targets, guesses))
    runs = training_answers(student, reference).in_update
    for run in runs:
        _gradient_reached(run, "a in x @ a", None)
    wrong = first_far([run.grad for run in runs], reference.training_gradients)
    if wrong is not None:
        _gradient_reached(runs[wrong], "a in x @ a", reference.training_gradients[wrong])


def _gradient_reached(run: LossRun, towards: str, expected: Floats | None) -> None:
    """Fail unless backward() on the result reached `towards` (and, `expected` given, with
    that gradient)."""
    loss_ran(run)
    if not run.tracks_gradient:
        if run.returned == "number":
            fail(f"backward() cannot reach {towards} from the returned loss", ITEM_IN_LOSS)
        fail(f"the returned loss is not connected to {towards}: backward() finds no graph")
    if run.grad_error:
        fail(f"backward() on the returned loss failed: {run.grad_error}")
    if expected is not None and not close(run.grad, expected):
        fail(
            f"the gradient of the loss with respect to {towards} is not that of the mean "
            f"squared error (first values {vector((run.grad or [])[:3])} instead of "
            f"{vector(expected[:3])}) — is it the mean of the squared differences?"
        )


@check("loss.leaves_inputs_alone", 1)
def test_the_loss_does_not_change_its_inputs(student, reference):
    a_loss_that_computes(student, reference)
    given = [run for _, run, _, _ in lesson_runs(student, reference)]
    given += [run for run, _, _, _ in unseen_runs(student)]
    for run in given:
        loss_ran(run)
        if run.changed:
            fail(f"mean_squared_error changed {' and '.join(run.changed)}", LOSS_CHANGES_INPUT)
    for by_the_cell, calls in both_training_answers(student, reference):
        for at, run in calls:
            loss_ran(run)
            if run.changed:
                where = where_training(reference, at, by_the_cell)
                fail(f"{where} changed {' and '.join(run.changed)}", LOSS_CHANGES_INPUT)
