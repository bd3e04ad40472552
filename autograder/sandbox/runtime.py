"""Proof, from inside a confined process, that student code can use the Python runtime.

The fork server imported torch and matplotlib before forking, but much of both loads lazily:
printing a tensor, an optimiser, drawing a figure. If the allow-list left out a directory they
load from, every student would lose points for the grader's mistake, so the probe runs these
once and grading does not start when one fails.
"""

from __future__ import annotations

import io


def runtime_problem() -> str | None:
    """What fails when student-like code runs here, or None when everything works."""
    try:
        import IPython.core.inputtransformer2 as transformer
        import matplotlib.pyplot as plt
        import torch
        import torch.optim

        parameter = torch.nn.Parameter(torch.zeros(2))
        repr(parameter)
        optimiser = torch.optim.SGD([parameter], lr=0.1)
        (parameter - 1).pow(2).sum().backward()
        optimiser.step()
        figure = plt.figure()
        plt.plot([0.0, 1.0], [1.0, 0.0], label="line")
        plt.legend()
        figure.savefig(io.BytesIO(), format="png")
        plt.close(figure)
        transformer.TransformerManager().transform_cell("%time x = 1\n")
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None
