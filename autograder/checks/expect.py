"""Shared wording and comparisons for the checks."""

from __future__ import annotations

import torch

from ..diagnosis import NOT_IMPLEMENTED, Mistake, diagnose_error
from ..observations import LossRun, UpdateRun
from . import fail


def number(value: float) -> str:
    return f"{value:.6g}"


def vector(values: list[float] | torch.Tensor) -> str:
    items = values.tolist() if isinstance(values, torch.Tensor) else values
    return "(" + ", ".join(f"{v:.4g}" for v in items) + ")"


def with_hint(message: str, mistake: Mistake | None) -> str:
    """`message`, followed by what the student can try when the mistake is recognised."""
    return f"{message} — {mistake.hint}" if mistake else message


def close(observed: list[float] | None, expected: torch.Tensor, tolerance: float = 1e-4) -> bool:
    """Float32 results against float64 expectations, relative to the values' size."""
    if observed is None or len(observed) != expected.numel():
        return False
    observed_tensor = torch.tensor(observed, dtype=torch.float64)
    return bool(
        torch.allclose(observed_tensor, expected.reshape(-1), rtol=tolerance, atol=tolerance / 10)
    )


def raised(function: str, error: str) -> str:
    if error.startswith("NotImplementedError"):
        return f"{function} is not implemented yet: {NOT_IMPLEMENTED.hint}"
    return with_hint(f"{function} raised {error}", diagnose_error(error))


def loss_ran(run: LossRun) -> None:
    if run.error:
        fail(raised("mean_squared_error", run.error))


def update_ran(run: UpdateRun, calls_needed: int = 1) -> None:
    if run.completed >= calls_needed:
        return
    fail(raised("update()", run.error) if run.error else "update() did not finish")
