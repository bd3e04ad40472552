"""Answers students really write: correct ones in many styles, and the kit's catalogue of
typical mistakes (`autograder.batch.catalogue`), each with the categories it must lose, the mistake
its feedback must name and a phrase its messages must contain.

An answer writes the cells it changes; the other cell is the instructor's reference from the
source notebook.
"""

from __future__ import annotations

from autograder.batch.catalogue import Answer, catalogue, reference_cells, source_notebook
from tests.corpus.fidelity import FIDELITY
from tests.support.lesson import shipped_reference
from tests.support.notebooks import ROOT

REFERENCE = reference_cells(source_notebook(ROOT))
REFERENCE_LOSS, REFERENCE_UPDATE = REFERENCE

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

CORRECT += [
    Answer(
        "uses_names_from_read_only_cells",
        update="""
def update():
    global y_hat
    y_hat = x @ a
    loss = ((y_hat - y) ** 2).sum() / n
    loss.backward()
    with torch.no_grad():
        a.sub_(lr * a.grad)
        a.grad.zero_()
""",
        added=(("first-guess", "print(y_hat[:3], ends, n)\n"),),
    ),
    Answer(
        "explores_after_the_last_graded_cell",
        added=(
            ("", "lr = 1.05\n"),
            ("", "def mean_squared_error(y, y_guess):\n    return (y_guess - y).abs().mean()\n"),
            ("", "def update():\n    pass\n"),
        ),
    ),
    Answer(
        "explores_between_the_answers",
        added=(
            ("mean_squared_error", "mean_squared_error(y, y + 1)\n"),
            ("update", "for _ in range(3):\n    update()\nprint(a)\n"),
        ),
    ),
]

ALL = [*catalogue(shipped_reference()), *FIDELITY]
WRONG = [answer for answer in ALL if answer.loses or answer.may_lose]
CORRECT += [answer for answer in ALL if not answer.loses and not answer.may_lose]


def cells(answer: Answer) -> tuple[str, str]:
    """The answer's (loss cell, update cell), with the reference where it keeps it."""
    return answer.cells(REFERENCE)
