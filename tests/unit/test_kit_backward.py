"""The kit's `backward()` on what a student's loss returned (`reporter._backward_through`) is
torch's own: the same gradient reaches the leaf and the same error is raised, for every kind
of result a loss can return: any dtype, a single value or many, part of a graph or not, the
leaf itself, and a graph already used once."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.inside.reporter import _backward_through

LEAF_DTYPES = [torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64]
SHAPES = {"a number": (), "one value": (1,), "one by one": (1, 1), "every value": None}
KINDS = ["part of a graph", "no graph", "the leaf itself", "whole numbers", "complex"]

Build = Callable[[], tuple[torch.Tensor, torch.Tensor]]


@st.composite
def results(draw: st.DrawFn) -> Build:
    """A recipe for a fresh (leaf, result) pair, the same each time it is called."""
    dtype = draw(st.sampled_from(LEAF_DTYPES))
    values = draw(st.lists(st.floats(-8, 8, width=16), min_size=1, max_size=4))
    shape = SHAPES[draw(st.sampled_from(sorted(SHAPES)))]
    kind = draw(st.sampled_from(KINDS))

    def build() -> tuple[torch.Tensor, torch.Tensor]:
        leaf = torch.tensor(values, dtype=dtype, requires_grad=True)
        squares = (leaf * leaf.conj()).real if dtype.is_complex else leaf * leaf
        result = squares if shape is None else squares.mean().reshape(shape)
        if kind == "no graph":
            result = result.detach()
        elif kind == "the leaf itself":
            leaf = result = result.detach().requires_grad_()
        elif kind == "whole numbers":
            result = result.to(torch.int64)
        elif kind == "complex":
            result = result * (1 + 1j)
        return leaf, result

    return build


def outcome(backward: Callable[[torch.Tensor], None], build: Build, times: int) -> tuple:
    """What `times` calls of `backward` on one result raise, and the gradient the leaf holds."""
    leaf, result = build()
    errors = []
    for _ in range(times):
        try:
            backward(result)
            errors.append(None)
        except RuntimeError as error:
            errors.append(str(error))
    if leaf.grad is None:
        return errors, None
    bits = leaf.grad.clone(memory_format=torch.contiguous_format).flatten().view(torch.uint8)
    return errors, bits.tolist()


@pytest.mark.filterwarnings("ignore:ComplexHalf support is experimental")
@settings(max_examples=300, deadline=None)
@given(results(), st.integers(1, 2))
def test_the_kits_backward_is_torchs(build: Build, times: int):
    assert outcome(_backward_through, build, times) == outcome(torch.Tensor.backward, build, times)
