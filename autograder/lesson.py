"""The lesson's fixed setting, shared by the student sandbox and the judge.

Everything here is also printed in the notebook the students see, so none of it is secret:
the dataset is public by design, so that every student and every grading run fits the same
points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

SEED = 42
N_POINTS = 100
TRUE_A = (3.0, 2.0)
FIRST_GUESS = (-1.0, 1.0)
LEARNING_RATE = 0.1
EPOCHS = 100
ASSIGNMENT = "gradient_descent"


def make_data() -> tuple[torch.Tensor, torch.Tensor]:
    """Rebuild the lesson's `x` and `y` exactly as the notebook's data cell does (in float32,
    whatever default dtype a student has set)."""
    import torch

    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(SEED)
        x = torch.ones(N_POINTS, 2, dtype=torch.float32)
        x[:, 0].uniform_(-1.0, 1.0)
        a = torch.tensor(TRUE_A, dtype=torch.float32)
        y = x @ a + torch.rand(N_POINTS, dtype=torch.float32)
    finally:
        torch.random.set_rng_state(generator_state)
    return x, y
