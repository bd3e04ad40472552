"""Proof, from inside a confined process, that student code can use the Python runtime.

The fork server imported torch and matplotlib before forking, but much of what student code
reaches loads lazily from disk: torch's tensor printing and autograd, matplotlib's renderer and
fonts, IPython's magic transformation, and any module nobody has imported yet. If the
allow-list left out a directory they load from, every student would lose points for the
grader's mistake, so the probe does each of these once, and grading does not start when one
fails. The modules it imports are ones the server never loads, from the standard library and
from site-packages, so their import proves those trees readable.
"""

from __future__ import annotations

import importlib
import io

NOT_PRELOADED = ("statistics", "numpy.polynomial", "matplotlib.sankey")


def runtime_problem() -> str | None:
    """What fails when student-like code runs here, or None when everything works."""
    try:
        import IPython.core.inputtransformer2 as transformer
        import matplotlib.pyplot as plt
        import torch

        parameter = torch.nn.Parameter(torch.zeros(2))
        repr(parameter)
        (parameter - 1).pow(2).sum().backward()
        figure = plt.figure(figsize=(1, 1), dpi=20)  # small: fonts and renderer load all the same
        plt.plot([0.0, 1.0], [1.0, 0.0], label="line")
        plt.legend()
        figure.savefig(io.BytesIO(), format="png")
        plt.close(figure)
        transformer.TransformerManager().transform_cell("%time x = 1\n")
        for name in NOT_PRELOADED:
            importlib.import_module(name)
    except Exception as error:
        return f"{type(error).__name__}: {error}"[:500]
    return None
