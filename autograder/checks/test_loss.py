"""Checks for `mean_squared_error(y, y_guess)`."""

from __future__ import annotations

from ..diagnosis import ITEM_IN_LOSS, diagnose_loss_value
from ..reference import as_tensor, loss_gradient, mean_squared_error
from . import check, fail
from .expect import close, loss_ran, number, vector, with_hint
from .hidden_inputs import unseen_loss_inputs


def lesson_run(student, lesson):
    return student.loss(lesson.y32.tolist(), lesson.guess_prediction32())


@check("loss.returns_scalar_tensor", "loss", 1)
def test_the_loss_is_a_single_number_in_a_tensor(student, lesson):
    run = lesson_run(student, lesson)
    loss_ran(run)
    if run.returned == "number":
        fail(with_hint("returned a plain Python number, not a tensor", ITEM_IN_LOSS))
    if run.returned != "tensor":
        fail(f"returned a {run.returned}; the loss should be a torch tensor")
    if run.shape != []:
        fail(
            f"returned a tensor of shape {tuple(run.shape)}; the loss is one number, a tensor "
            "with no dimensions — did you forget to average over the points?"
        )


@check("loss.value_on_lesson_data", "loss", 1)
def test_the_loss_of_the_first_guess_is_about_8(student, lesson):
    run = lesson_run(student, lesson)
    loss_ran(run)
    guess = lesson.x @ as_tensor([-1.0, 1.0])
    expected = mean_squared_error(lesson.y, guess)
    if run.value is None:
        fail(f"returned {run.returned} with {len(run.values or [])} values where one was expected")
    if not close([run.value], as_tensor([expected])):
        mistake = diagnose_loss_value(run.value, lesson.y, guess)
        fail(
            with_hint(
                f"returned {number(run.value)} on the lesson data where {number(expected)} "
                "was expected",
                mistake,
            )
        )


@check("loss.value_on_unseen_inputs", "loss", 1)
def test_the_loss_is_right_for_other_lengths_and_values(student):
    for y_values, guess_values in unseen_loss_inputs():
        run = student.loss(y_values, guess_values)
        loss_ran(run)
        y, guess = as_tensor(y_values), as_tensor(guess_values)
        expected = mean_squared_error(y, guess)
        if run.value is None or not close([run.value], as_tensor([expected])):
            shown = "no single number" if run.value is None else number(run.value)
            mistake = diagnose_loss_value(run.value, y, guess) if run.value is not None else None
            message = (
                f"on {len(y)} other points it returned {shown}, not the mean squared error "
                "of those points"
            )
            fail(
                with_hint(message, mistake)
                if mistake
                else f"{message}; the loss must work for any data, not just the lesson's"
            )


@check("loss.gradient_reaches_guess", "loss", 1)
def test_the_gradient_flows_back_to_the_guess(student, lesson):
    y_values, guess_values = unseen_loss_inputs()[1]
    for run, y, guess in (
        (lesson_run(student, lesson), lesson.y, lesson.x @ as_tensor([-1.0, 1.0])),
        (student.loss(y_values, guess_values), as_tensor(y_values), as_tensor(guess_values)),
    ):
        loss_ran(run)
        if not run.tracks_gradient:
            fail(
                with_hint("backward() cannot reach y_guess from the returned loss", ITEM_IN_LOSS)
                if run.returned == "number"
                else "the returned loss is not connected to y_guess: backward() finds no graph"
            )
        if run.grad_error:
            fail(f"backward() on the returned loss failed: {run.grad_error}")
        expected = loss_gradient(y, guess)
        if not close(run.grad, expected):
            fail(
                "the gradient of the loss with respect to y_guess is not 2·(y_guess − y)/n "
                f"(first values {vector((run.grad or [])[:3])} instead of "
                f"{vector(expected[:3])}) — is it the mean of the squared differences?"
            )


@check("loss.leaves_inputs_alone", "loss", 1)
def test_the_loss_does_not_change_its_inputs(student, lesson):
    y_values, guess_values = unseen_loss_inputs()[1]
    for run, y, guess in (
        (lesson_run(student, lesson), lesson.y32.tolist(), lesson.guess_prediction32()),
        (student.loss(y_values, guess_values), y_values, guess_values),
    ):
        loss_ran(run)
        if run.y_after != y:
            fail("mean_squared_error changed y; compute new tensors instead of editing inputs")
        if run.y_guess_after != guess:
            fail(
                "mean_squared_error changed y_guess; use y_guess - y, not y_guess -= y or "
                "other in-place operations"
            )
