"""Answers that are right on some calls, inputs or cell orders and wrong on others, beyond the
kit's catalogue: each stands for a class of ways grading can judge a sample instead of the
behaviour, with what it must get.

- `CALLS`: an update() or a loss that keeps state between calls, so that its first calls
  are right and later ones are not (or the other way round);
- `INPUTS`: a loss that misbehaves only on some kind of input the lesson gives it (built as
  `x @ a`, a graph, a plain tensor, a single point, a long vector);
- `CELLS`: notebooks whose grade depends on running cells exactly as Jupyter runs them;
- `HIDDEN`: code that looks at the hidden inputs, or only behaves on the public ones.

Expectations are for the shipped lesson (`tests.support.lesson`).
"""

from __future__ import annotations

from autograder.batch.catalogue import ALL_OF_UPDATE, MISSING_FUNCTION, Answer

LOSS = frozenset({"loss"})
UPDATE_AND_CONVERGENCE = frozenset({"update", "convergence"})
ZERO_GRAD_AND_CONVERGENCE = frozenset({"zero_grad", "convergence"})


def update_with(*lines: str, before: str = "") -> str:
    """An update() that computes the gradient, then runs `lines` inside torch.no_grad()."""
    inside = "".join(f"        {line}\n" for line in lines)
    return (
        f"{before}def update():\n"
        "    loss = mean_squared_error(y, x @ a)\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n" + inside
    )


def loss_with(body: str, before: str = "") -> str:
    return f"import torch\n{before}\ndef mean_squared_error(y, y_guess):\n{body}"


RIGHT = "    return ((y_guess - y) ** 2).mean()\n"
SUMMED = "((y_guess - y) ** 2).sum()"

UPDATE_THROUGH_AN_ALIAS = (  # a correct update() that needs no name `torch` of its own
    "import torch as t\n"
    "def update():\n"
    "    loss = mean_squared_error(y, x @ a)\n"
    "    loss.backward()\n"
    "    with t.no_grad():\n"
    "        a.sub_(lr * a.grad)\n"
    "        a.grad.zero_()\n"
)

WARNING_UPDATE = update_with(  # right, with a UserWarning: it copy-constructs from a tensor
    "a.sub_(torch.tensor(lr * a.grad))", "a.grad.zero_()"
)
WARNING_UPDATE_BELOW_ERRORS = "import warnings\nwarnings.simplefilter('error')\n" + WARNING_UPDATE

CALLS = [
    Answer(
        "warms_up_over_the_training_loops_first_epochs",  # reads the loop's own variable
        update=update_with(
            "warm = min(1.0, (globals().get('epoch', 0) + 1) / 5)",
            "a.sub_(warm * lr * a.grad)",
            "a.grad.zero_()",
        ),
        loses=frozenset({"update"}),
        mistake="update_wrong_learning_rate",
    ),
    Answer(
        "deletes_a_name_the_training_used_after_it_ran",  # update() is asked as training asks
        update=UPDATE_THROUGH_AN_ALIAS,
        added=(("training", "del torch\n"),),
    ),
    Answer(
        "deletes_a_name_the_training_needs_before_it_runs",  # as in Jupyter, training fails
        update=UPDATE_THROUGH_AN_ALIAS,
        added=(("make-parameter", "del torch\n"),),
        loses=ALL_OF_UPDATE,
        says="the lesson's training cell raised NameError",
    ),
    Answer(
        "warnings_made_errors_above_an_update_that_warns",  # as in Jupyter, training raises
        update=WARNING_UPDATE_BELOW_ERRORS,
        loses=ALL_OF_UPDATE,
        says="UserWarning",
    ),
    Answer(
        "warnings_made_errors_only_after_training",  # training ran with the warning shown
        update=WARNING_UPDATE,
        added=(("training", "import warnings\nwarnings.simplefilter('error')\n"),),
    ),
    Answer(
        "warnings_shown_again_after_a_training_they_stopped",
        update=WARNING_UPDATE_BELOW_ERRORS,
        added=(("training", "import warnings\nwarnings.resetwarnings()\n"),),
        loses=ALL_OF_UPDATE,
        says="UserWarning",
    ),
    Answer(
        "warnings_made_errors_above_a_loss_that_warns",  # mse_loss's deprecated `reduce`
        loss=loss_with(
            "    return torch.nn.functional.mse_loss(y_guess, y, reduce=True)\n",
            before="import warnings\nwarnings.simplefilter('error')\n",
        ),
        loses=LOSS,
        says="UserWarning",
    ),
    Answer(
        "a_loss_that_warns_where_warnings_are_only_shown",
        loss=loss_with("    return torch.nn.functional.mse_loss(y_guess, y, reduce=True)\n"),
    ),
    Answer(
        "warnings_made_errors_above_answers_that_never_warn",
        loss=loss_with(RIGHT, before="import warnings\nwarnings.simplefilter('error')\n"),
    ),
    Answer(
        "loss_sums_while_the_training_loop_is_young",  # right at its graded cell and tests
        loss=loss_with(
            f"    if globals().get('epoch', 99) < 50:\n        return {SUMMED}\n" + RIGHT
        ),
        loses=LOSS,
        mistake="loss_sum",
        says="where correct training is before call 1",
    ),
    Answer(
        "loss_sums_once_the_training_has_recorded_a_loss",
        loss=loss_with(
            f"    if len(globals().get('losses', [])) in range(1, 60):\n        return {SUMMED}\n"
            + RIGHT
        ),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_wrong_only_when_update_calls_it",  # the notebook's training goes wrong
        loss=loss_with(
            "    import sys\n"
            "    if sys._getframe(1).f_code.co_name == 'update':\n"
            "        return (y_guess - y).abs().mean()\n" + RIGHT
        ),
        loses=LOSS,
        mistake="loss_absolute",
    ),
    Answer(
        "loss_wrong_only_for_the_training_cells_own_calls",  # the losses it plots are wrong
        loss=loss_with(
            "    import sys\n"
            "    if 'epoch' in globals() and sys._getframe(1).f_code.co_name != 'update':\n"
            "        return ((y_guess - y) ** 2).mean() / 2\n" + RIGHT
        ),
        loses=LOSS,
        mistake="loss_half",
        says="as the training cell itself calls it",
    ),
    Answer(
        "loss_that_calls_itself_by_name_for_the_squares",  # each call the training makes is one
        loss=(
            "import torch\n"
            "def mean_squared_error(y, y_guess, reduce=True):\n"
            "    if reduce:\n"
            "        return mean_squared_error(y, y_guess, reduce=False).mean()\n"
            "    return (y_guess - y) ** 2\n"
        ),
    ),
    Answer(
        "loss_reads_the_gradient_a_correct_update_leaves",  # zero between calls, as in Jupyter
        loss=loss_with(
            "    g = getattr(globals().get('a'), 'grad', None)\n"
            f"    if g is not None and float(g.abs().sum()) > 0:\n        return {SUMMED}\n" + RIGHT
        ),
    ),
    Answer(
        "leaves_the_gradient_on_the_training_loops_last_epoch",  # the shipped lesson: 100
        update=update_with(
            "a.sub_(lr * a.grad)",
            "if len(globals().get('losses', [])) < 99:",
            "    a.grad.zero_()",
        ),
        loses=frozenset({"zero_grad"}),
        mistake="no_zero_grad",
    ),
    Answer(
        "learning_rate_cut_after_ten_calls_in_a_closure",
        update=(
            "def make_update():\n"
            "    calls = 0\n"
            "    def update():\n"
            "        nonlocal calls\n"
            "        calls += 1\n"
            "        rate = lr if calls <= 10 else lr / 100\n"
            "        loss = mean_squared_error(y, x @ a)\n"
            "        loss.backward()\n"
            "        with torch.no_grad():\n"
            "            a.sub_(rate * a.grad)\n"
            "            a.grad.zero_()\n"
            "    return update\n"
            "update = make_update()\n"
        ),
        loses=UPDATE_AND_CONVERGENCE,  # the notebook's own training used its ten calls
        mistake="update_wrong_learning_rate",
    ),
    Answer(
        "sign_flips_after_three_calls_on_the_function",
        update=update_with(
            "update.calls = getattr(update, 'calls', 0) + 1",
            "a.sub_((lr if update.calls <= 3 else -lr) * a.grad)",
            "a.grad.zero_()",
        ),
        loses=UPDATE_AND_CONVERGENCE,  # the notebook's own training took its three calls
        mistake="update_wrong_sign",
    ),
    Answer(
        "gradient_zeroed_every_other_call",
        update=update_with(
            "global calls",
            "calls += 1",
            "a.sub_(lr * a.grad)",
            "if calls % 2 == 0:",
            "    a.grad.zero_()",
            before="calls = 0\n",
        ),
        loses=ZERO_GRAD_AND_CONVERGENCE,
        mistake="no_zero_grad",
        says="piling up",
    ),
    Answer(
        "jumps_to_the_fit_after_fifty_calls",
        update=update_with(
            "a.calls = getattr(a, 'calls', 0) + 1",
            "if a.calls < 50:",
            "    a.sub_(lr * a.grad)",
            "else:",
            "    a.copy_(torch.linalg.lstsq(x, y.unsqueeze(1)).solution.squeeze(1))",
            "a.grad.zero_()",
        ),
        loses=UPDATE_AND_CONVERGENCE,
        mistake="update_jumps_to_fit",
        says="call 50 of",
    ),
    Answer(
        "stops_once_the_notebook_has_trained",
        update=update_with(
            "global calls",
            "calls += 1",
            "if calls <= 101:",
            "    a.sub_(lr * a.grad)",
            "a.grad.zero_()",
            before="calls = 0\n",
        ),
        loses=ALL_OF_UPDATE,
        mistake="update_no_step",
    ),
    Answer(
        "momentum_in_a_dictionary_per_parameter",
        update=update_with(
            "kept = velocities.setdefault(id(a), [a, torch.zeros_like(a)])",
            "kept[1] = 0.5 * kept[1] + lr * a.grad",
            "a.sub_(kept[1])",
            "a.grad.zero_()",
            before="velocities = {}  # each parameter, kept alive, with its velocity\n",
        ),
        loses=UPDATE_AND_CONVERGENCE,
        mistake="update_momentum",
    ),
    Answer(
        "momentum_in_a_global",
        update=update_with(
            "global velocity",
            "velocity = 0.9 * velocity + lr * a.grad",
            "a.sub_(velocity)",
            "a.grad.zero_()",
            before="velocity = 0\n",
        ),
        loses=ALL_OF_UPDATE,  # the velocity the notebook's own training left carries over
        mistake="update_not_gradient_step",
        says="not a step along the gradient",
    ),
    Answer(
        "normalised_step_of_fixed_length",
        update=update_with("a.sub_(lr * a.grad / a.grad.norm())", "a.grad.zero_()"),
        loses=UPDATE_AND_CONVERGENCE,
        mistake="update_wrong_learning_rate",
    ),
    Answer(
        "learning_rate_warmup_over_ten_calls",
        update=update_with(
            "a.calls = getattr(a, 'calls', 0) + 1",
            "a.sub_(lr * min(1.0, a.calls / 10) * a.grad)",
            "a.grad.zero_()",
        ),
        loses=frozenset({"update"}),
        mistake="update_wrong_learning_rate",
    ),
    Answer(
        "gradient_clipped_far_above_its_size",
        update=update_with(
            "torch.nn.utils.clip_grad_norm_([a], 1e6)", "a.sub_(lr * a.grad)", "a.grad.zero_()"
        ),
    ),
]

INPUTS = [
    Answer(
        "loss_sums_after_twenty_calls",
        loss=loss_with(
            "    global calls\n    calls += 1\n"
            f"    return ((y_guess - y) ** 2).mean() if calls <= 20 else {SUMMED}\n",
            before="calls = 0\n",
        ),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_sums_only_when_the_guess_tracks_gradients",
        loss=loss_with(f"    if y_guess.requires_grad:\n        return {SUMMED}\n{RIGHT}"),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_sums_only_on_plain_tensors",
        loss=loss_with(f"    if not y_guess.requires_grad:\n        return {SUMMED}\n{RIGHT}"),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_sums_only_on_x_at_a",
        loss=loss_with(
            "    if y_guess.grad_fn is not None and 'Mv' in type(y_guess.grad_fn).__name__:\n"
            f"        return {SUMMED}\n{RIGHT}"
        ),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_wrong_with_gradients_off",
        loss=loss_with(f"    if not torch.is_grad_enabled():\n        return {SUMMED}\n{RIGHT}"),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "loss_zero_for_a_single_point",
        loss=loss_with(f"    if len(y) == 1:\n        return (y_guess * 0).sum()\n{RIGHT}"),
        loses=LOSS,
        mistake="loss_hard_coded",
        says="on 1 other points",
    ),
    Answer(
        "loss_right_only_up_to_fifty_points",
        loss=loss_with(f"    if len(y) > 50:\n        return {SUMMED}\n{RIGHT}"),
        loses=LOSS,
        mistake="loss_sum",
    ),
    Answer(
        "absolute_error_tried_after_the_graded_cell",
        added=(
            (
                "loss_checks",
                "def mean_squared_error(y, y_guess):\n    return (y_guess - y).abs().mean()\n",
            ),
        ),
    ),
]

CELLS = [
    Answer(
        "update_only_inside_timeit",
        update="%%timeit -n1 -r1\n" + update_with("a.sub_(lr * a.grad)", "a.grad.zero_()"),
        loses=ALL_OF_UPDATE,
        mistake="undefined_update",
        says="not defined",
        status=MISSING_FUNCTION,
    ),
    Answer(
        "time_magic_before_the_definition",
        loss="%time z = 1\n" + loss_with(RIGHT),
    ),
    Answer(
        "future_import_in_an_earlier_cell",
        loss="def mean_squared_error(y: Tensor, y_guess: Tensor) -> Tensor:\n" + RIGHT,
        added=(("data-plot", "from __future__ import annotations\n"),),
    ),
    Answer(
        "update_dragged_below_its_graded_cell",
        moved=(("update", "update_checks"),),
        loses=frozenset({"update"}),
        mistake="undefined_update",
        says="not defined",
        status=MISSING_FUNCTION,
    ),
    Answer(
        "helper_written_and_run_with_percent_run",
        update="%run step_helper.py\n\ndef update():\n    one_step(x, y, a, lr)\n",
        added=(
            (
                "make-parameter",
                "%%writefile step_helper.py\n"
                "import torch\n\n"
                "def one_step(x, y, a, lr):\n"
                "    loss = ((x @ a - y) ** 2).mean()\n"
                "    loss.backward()\n"
                "    with torch.no_grad():\n"
                "        a.sub_(lr * a.grad)\n"
                "        a.grad.zero_()\n",
            ),
        ),
    ),
    Answer(
        "loss_deleted_before_its_graded_cell",
        added=(("loss-quick-tests", "del mean_squared_error\n"),),
        loses=LOSS,
        mistake="undefined_mean_squared_error",
        says="not defined",
        status=MISSING_FUNCTION,
    ),
    Answer(
        "loss_cell_raises_after_defining",
        loss=loss_with(RIGHT) + "\nraise ValueError('a leftover experiment')\n",
    ),
    Answer(
        "definitions_in_a_captured_cell_with_a_shell_escape",
        loss="%%capture\n!echo hello\n" + loss_with(RIGHT),
    ),
]

HIDDEN = [
    Answer(
        "loss_prints_what_it_is_asked",
        loss=loss_with(f"    print('asked about', len(y), y.tolist()[:3])\n{RIGHT}"),
    ),
    Answer(
        "update_logs_where_each_run_starts",  # to the stream its cell had, bound by logging
        update=update_with(
            "if not getattr(a, 'logged', False):",
            "    a.logged = True",
            "    logging.info('a run from %s', a.tolist())",
            "a.sub_(lr * a.grad)",
            "a.grad.zero_()",
            before="import logging\nlogging.basicConfig(level=logging.INFO, force=True)\n",
        ),
    ),
    Answer(
        "update_that_only_steps_near_the_first_guess",
        update=update_with(
            "if (a - torch.tensor([-1.0, 1.0])).norm() < 1.0:",
            "    a.sub_(lr * a.grad)",
            "else:",
            "    a.sub_(lr * a.grad * 0.5)",
            "a.grad.zero_()",
        ),
        loses=UPDATE_AND_CONVERGENCE,
        mistake="update_changing_learning_rate",
    ),
]

FIDELITY = CALLS + INPUTS + CELLS + HIDDEN
