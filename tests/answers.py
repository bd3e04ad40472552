"""Answers students really write: correct ones in many styles, and common mistakes.

Each answer is the code of the two answer cells. `loses` names the categories in which the
answer must lose points (every other category must keep all of its points); `says` is a phrase
the feedback must contain, so the student learns what went wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REFERENCE_LOSS = """
def mean_squared_error(y, y_guess):
    return ((y_guess - y) ** 2).mean()
"""

REFERENCE_UPDATE = """
def update():
    y_hat = x @ a
    loss = mean_squared_error(y, y_hat)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
"""


@dataclass(frozen=True)
class Answer:
    name: str
    loss: str = REFERENCE_LOSS
    update: str = REFERENCE_UPDATE
    loses: frozenset[str] = field(default_factory=frozenset)
    says: str = ""


def wrong(name: str, loses: set[str], says: str, **cells: str) -> Answer:
    return Answer(name=name, loses=frozenset(loses), says=says, **cells)


CORRECT = [
    Answer("reference"),
    Answer(
        "data_attribute_and_grad_none",
        update="""
def update():
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    a.data -= lr * a.grad
    a.grad = None
""",
    ),
    Answer(
        "learning_rate_argument_and_inline_loss",
        loss="""
import torch
def mean_squared_error(y, y_guess):
    return torch.mean(torch.square(y_guess - y))
""",
        update="""
def update(lr=0.1):
    global a
    loss = ((x @ a - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        a -= lr * a.grad
        a.grad.zero_()
""",
    ),
    Answer(
        "float64_default_with_prints_and_plots",
        loss="""
torch.set_default_dtype(torch.float64)
def mean_squared_error(y, y_guess):
    differences = y_guess - y
    print("computing the loss of", len(y), "points")
    return (differences * differences).sum() / len(y)
plt.plot([0, 1], [0, 1])
""",
        update="""
import warnings
steps = 0
def update():
    global steps
    steps += 1
    loss = mean_squared_error(y, x @ a)
    if steps % 10 == 0:
        print(f"step {steps}: loss {loss.item():.3f}")
        warnings.warn("a warning on stderr must not cost points")
    loss.backward()
    with torch.no_grad():
        a.copy_(a - lr * a.grad)
    a.grad.zero_()
""",
    ),
    Answer(
        "functional_mse_loss",
        loss="""
import torch.nn.functional as F
def mean_squared_error(y, y_guess):
    return F.mse_loss(y_guess, y)
""",
    ),
]

WRONG = [
    wrong(
        "loss_fourth_power",
        {"loss"},
        "on the lesson data",
        loss="def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 4).mean()\n",
    ),
    wrong(
        "loss_sum",
        {"loss"},
        "sum instead of average",
        loss="def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).sum()\n",
    ),
    wrong(
        "loss_no_square",
        {"loss"},
        "forget to square",
        loss="def mean_squared_error(y, y_guess):\n    return (y_guess - y).mean()\n",
    ),
    wrong(
        "loss_item",
        {"loss"},
        ".item()",
        loss="def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).mean().item()\n",
    ),
    wrong(
        "loss_absolute",
        {"loss"},
        "absolute value",
        loss="def mean_squared_error(y, y_guess):\n    return (y_guess - y).abs().mean()\n",
    ),
    wrong(
        "loss_root",
        {"loss"},
        "square root",
        loss="def mean_squared_error(y, y_guess):\n    return ((y_guess - y) ** 2).mean().sqrt()\n",
    ),
    wrong(
        "loss_hard_coded",
        {"loss"},
        "any data",
        loss="import torch\ndef mean_squared_error(y, y_guess):\n"
        "    return (y_guess * 0).sum() + 8.231786\n",
    ),
    wrong(
        "loss_changes_guess",
        {"loss"},
        "changed y_guess",
        loss="def mean_squared_error(y, y_guess):\n    y_guess -= y\n"
        "    return (y_guess ** 2).mean()\n",
    ),
    wrong(
        "loss_keeps_a_dimension",
        {"loss"},
        "no dimensions",
        loss="def mean_squared_error(y, y_guess):\n"
        "    return ((y_guess - y) ** 2).mean(dim=0, keepdim=True)\n",
    ),
    wrong(
        "loss_not_implemented",
        {"loss"},
        "not implemented",
        loss="def mean_squared_error(y, y_guess):\n    raise NotImplementedError()\n",
    ),
    wrong(
        "no_zero_grad",
        {"zero_grad", "convergence"},
        "zero the gradient",
        update=REFERENCE_UPDATE.replace("        a.grad.zero_()\n", ""),
    ),
    wrong(
        "wrong_sign",
        {"update", "convergence"},
        "instead of subtracting",
        update=REFERENCE_UPDATE.replace("a.sub_(", "a.add_("),
    ),
    wrong(
        "learning_rate_too_small",
        {"update", "convergence"},
        "learning rate of 0.01",
        update=REFERENCE_UPDATE.replace("lr * a.grad", "0.01 * a.grad"),
    ),
    wrong(
        "step_outside_no_grad",
        {"update", "zero_grad", "convergence"},
        "torch.no_grad()",
        update="""
def update():
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    a.sub_(lr * a.grad)
    a.grad.zero_()
""",
    ),
    wrong(
        "ten_steps_per_call",
        {"update"},
        "10 steps in one call",
        update="""
def update():
    for _ in range(10):
        loss = mean_squared_error(y, x @ a)
        loss.backward()
        with torch.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
""",
    ),
    wrong(
        "zeroed_before_stepping",
        {"update", "convergence"},
        "did not move",
        update="""
def update():
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a.grad.zero_()
        a.sub_(lr * a.grad)
""",
    ),
    wrong(
        "no_backward",
        {"update", "zero_grad", "convergence"},
        "TypeError",
        update="""
def update():
    loss = mean_squared_error(y, x @ a)
    with torch.no_grad():
        a.sub_(lr * a.grad)
""",
    ),
    wrong(
        "local_rebinding",
        {"update", "zero_grad", "convergence"},
        "UnboundLocalError",
        update="""
def update():
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a = a - lr * a.grad
""",
    ),
    wrong(
        "summed_loss_inside_update",
        {"update", "convergence"},
        "learning rate of 10",
        update="""
def update():
    loss = ((x @ a - y) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
""",
    ),
    wrong(
        "replaces_the_parameter",
        {"update", "zero_grad", "convergence"},
        "new object",
        update="""
def update():
    global a
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a = nn.Parameter(a - lr * a.grad)
""",
    ),
    wrong(
        "zeroes_before_backward",
        {"zero_grad"},
        "not zero",
        update="""
def update():
    if a.grad is not None:
        a.grad.zero_()
    loss = mean_squared_error(y, x @ a)
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
""",
    ),
    wrong(
        "update_not_implemented",
        {"update", "zero_grad", "convergence"},
        "not implemented",
        update="def update():\n    raise NotImplementedError()\n",
    ),
]
