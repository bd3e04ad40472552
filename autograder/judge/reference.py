"""The judge's own maths: what a correct answer produces, in float64.

Only the judge imports this. Expected values are computed here from the lesson's data and the
hidden inputs; they never travel to a student process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import torch

from autograder import exercise

FEW_STEPS = 20  # more correct steps than this in one call is no longer "using the gradient"


def as_tensor(values: list[float] | tuple[float, ...]) -> torch.Tensor:
    return torch.tensor(list(values), dtype=torch.float64)


def mean_squared_error(y: torch.Tensor, y_guess: torch.Tensor) -> float:
    return float(((y_guess - y) ** 2).mean())


def loss_gradient(y: torch.Tensor, y_guess: torch.Tensor) -> torch.Tensor:
    """d/d y_guess of mean((y_guess - y)^2) = 2 (y_guess - y) / n."""
    return 2 * (y_guess - y) / len(y)


@dataclass(frozen=True)
class Reference:
    """The lesson's data, rebuilt in float64, with the answers a correct solution gives."""

    x: torch.Tensor
    y: torch.Tensor
    x32: torch.Tensor
    y32: torch.Tensor

    def prediction(self, a: torch.Tensor) -> torch.Tensor:
        return self.x @ a

    def loss_at(self, a: torch.Tensor) -> float:
        return mean_squared_error(self.y, self.prediction(a))

    def gradient_at(self, a: torch.Tensor) -> torch.Tensor:
        """Gradient of the lesson's loss with respect to `a`: 2/n · xᵀ(x a − y)."""
        return 2 * self.x.T @ (self.prediction(a) - self.y) / len(self.y)

    def step_from(self, a: torch.Tensor, lr: float = exercise.LEARNING_RATE) -> torch.Tensor:
        return a - lr * self.gradient_at(a)

    def descend(self, start: torch.Tensor, steps: int) -> list[torch.Tensor]:
        """Positions of `a` after each of `steps` correct updates."""
        path, a = [], start
        for _ in range(steps):
            a = self.step_from(a)
            path.append(a)
        return path

    def steps_to(self, start: torch.Tensor, after: torch.Tensor, most: int) -> int | None:
        """How many correct steps (1 to `most`) lead from `start` to `after`, if any do."""
        for steps, position in enumerate(self.descend(start, most), start=1):
            if torch.allclose(position, after, rtol=1e-4, atol=1e-5):
                return steps
        return None

    def moves_along_gradient(self, start: torch.Tensor, after: torch.Tensor) -> bool:
        """Whether going from `start` to `after` used the gradient at `start`: a step along it
        of any size or sign, or a few correct steps. No move, a random move or a jump to a
        fixed point does not; this is what keeps a do-nothing update from earning points."""
        moved = after - start
        gradient = self.gradient_at(start)
        size = float(moved.norm())
        if size <= 1e-7 * max(1.0, float(start.norm())) or float(gradient.norm()) == 0.0:
            return False
        alignment = abs(float(moved @ gradient)) / (size * float(gradient.norm()))
        return alignment >= 1 - 1e-6 or self.steps_to(start, after, FEW_STEPS) is not None

    @property
    def least_squares(self) -> torch.Tensor:
        return torch.linalg.lstsq(self.x, self.y.unsqueeze(1)).solution.squeeze(1)

    def prediction32(self, a: tuple[float, ...] = exercise.FIRST_GUESS) -> list[float]:
        """`x @ a` as the student's float32 notebook computes it (the first guess by default)."""
        return (self.x32 @ torch.tensor(a, dtype=torch.float32)).tolist()


@cache
def the_reference() -> Reference:
    x32, y32 = exercise.make_data()
    return Reference(x=x32.double(), y=y32.double(), x32=x32, y32=y32)
