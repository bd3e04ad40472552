"""Checks for `mean_squared_error(y, y_guess)`."""

from __future__ import annotations

from autograder.judge.check import check, fail
from autograder.judge.diagnosis import (
    ITEM_IN_LOSS,
    LOSS_CHANGES_INPUT,
    LOSS_HARD_CODED,
    LOSS_NOT_SCALAR,
    diagnose_loss_values,
)
from autograder.judge.expect import a_loss_that_computes, close, loss_ran, number, vector
from autograder.judge.reference import as_tensor, loss_gradient, mean_squared_error

CATEGORY = "loss"


@check("loss.returns_scalar_tensor", 1)
def test_the_loss_is_a_single_number_in_a_tensor(student, reference):
    run = a_loss_that_computes(student, reference)
    if run.returned == "number":
        fail("returned a plain Python number, not a tensor", ITEM_IN_LOSS)
    if run.returned != "tensor":
        fail(f"returned a {run.returned}; the loss should be a torch tensor")
    if run.shape != []:
        shape = tuple(run.shape or [])
        fail(f"returned a tensor of shape {shape}, not one number", LOSS_NOT_SCALAR)


@check("loss.value_on_lesson_data", 1)
def test_the_loss_of_the_first_guess_is_about_8(student, reference):
    run = a_loss_that_computes(student, reference)
    guess = reference.prediction(as_tensor([-1.0, 1.0]))
    expected = mean_squared_error(reference.y, guess)
    if run.value is None:
        fail(f"returned {run.returned} with {len(run.values or [])} values where one was expected")
    if not close([run.value], as_tensor([expected])):
        fail(
            f"returned {number(run.value)} on the lesson data where {number(expected)} was "
            "expected",
            diagnose_loss_values([(run.value, reference.y, guess)]),
        )


@check("loss.value_on_unseen_inputs", 1)
def test_the_loss_is_right_for_other_lengths_and_values(student, reference, unseen):
    lesson_run = a_loss_that_computes(student, reference)
    first_guess = reference.prediction(as_tensor([-1.0, 1.0]))
    right_on_lesson = lesson_run.value is not None and close(
        [lesson_run.value], as_tensor([mean_squared_error(reference.y, first_guess)])
    )
    runs = []
    for y_values, guess_values in unseen.loss_pairs:
        run = student.loss(y_values, guess_values)
        loss_ran(run)
        runs.append((run, as_tensor(y_values), as_tensor(guess_values)))
    for run, y, guess in runs:
        if run.value is not None and close([run.value], as_tensor([mean_squared_error(y, guess)])):
            continue
        shown = "no single number" if run.value is None else number(run.value)
        seen = [(r.value, y_, g_) for r, y_, g_ in runs if r.value is not None]
        if lesson_run.value is not None:
            seen.append((lesson_run.value, reference.y, first_guess))
        mistake = diagnose_loss_values(seen) if run.value is not None else None
        fail(
            f"on {len(y)} other points it returned {shown}, not the mean squared error of those "
            "points",
            mistake or (LOSS_HARD_CODED if right_on_lesson else None),
        )


@check("loss.gradient_reaches_guess", 1)
def test_the_gradient_flows_back_to_the_guess(student, reference, unseen):
    lesson_run = a_loss_that_computes(student, reference)
    y_values, guess_values = unseen.loss_pairs[1]
    for run, y, guess in (
        (lesson_run, reference.y, reference.prediction(as_tensor([-1.0, 1.0]))),
        (student.loss(y_values, guess_values), as_tensor(y_values), as_tensor(guess_values)),
    ):
        loss_ran(run)
        if not run.tracks_gradient:
            if run.returned == "number":
                fail("backward() cannot reach y_guess from the returned loss", ITEM_IN_LOSS)
            fail("the returned loss is not connected to y_guess: backward() finds no graph")
        if run.grad_error:
            fail(f"backward() on the returned loss failed: {run.grad_error}")
        expected = loss_gradient(y, guess)
        if not close(run.grad, expected):
            fail(
                "the gradient of the loss with respect to y_guess is not 2·(y_guess − y)/n "
                f"(first values {vector((run.grad or [])[:3])} instead of "
                f"{vector(expected[:3])}) — is it the mean of the squared differences?"
            )


@check("loss.leaves_inputs_alone", 1)
def test_the_loss_does_not_change_its_inputs(student, reference, unseen):
    lesson_run = a_loss_that_computes(student, reference)
    y_values, guess_values = unseen.loss_pairs[1]
    for run, y, guess in (
        (lesson_run, reference.y32.tolist(), reference.prediction32()),
        (student.loss(y_values, guess_values), y_values, guess_values),
    ):
        loss_ran(run)
        if run.y_after != y:
            fail("mean_squared_error changed y", LOSS_CHANGES_INPUT)
        if run.y_guess_after != guess:
            fail("mean_squared_error changed y_guess", LOSS_CHANGES_INPUT)
