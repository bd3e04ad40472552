"""What the student process reports of a tensor is every value as float64 holds it, whatever
the tensor's dtype, shape, strides or gradient: the floats read as they are and the others
converted give the same numbers as one conversion of them all."""

from __future__ import annotations

import math
import struct

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from autograder.inside.reporter import read_numbers

DTYPES = [
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.int8,
    torch.uint8,
    torch.int32,
    torch.int64,
    torch.bool,
]
ANY_FLOAT = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


@st.composite
def tensors(draw: st.DrawFn) -> torch.Tensor:
    """A tensor of any of the dtypes, 0 to 3 dims, contiguous or a strided view of a larger
    one, plain, requiring its gradient, or a parameter."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.lists(st.integers(0, 4), max_size=3))
    size = math.prod(shape)
    if dtype.is_floating_point:
        values = draw(st.lists(ANY_FLOAT, min_size=size, max_size=size))
    else:
        info = torch.iinfo(dtype) if dtype != torch.bool else None
        low, high = (0, 1) if info is None else (info.min, info.max)
        values = draw(st.lists(st.integers(low, high), min_size=size, max_size=size))
    tensor = torch.tensor(values, dtype=torch.float64).to(dtype).reshape(shape)
    view = draw(st.sampled_from(["as is", "transposed", "every other", "expanded"]))
    if view == "transposed" and tensor.dim() >= 2:
        tensor = tensor.transpose(0, 1)
    elif view == "every other" and tensor.dim() >= 1:
        tensor = tensor[::2]
    elif view == "expanded" and tensor.dim() == 1:
        tensor = tensor.unsqueeze(0).expand(2, -1)
    if dtype.is_floating_point:
        kind = draw(st.sampled_from(["plain", "requires grad", "parameter"]))
        if kind == "requires grad":
            tensor = tensor.detach().requires_grad_()
        elif kind == "parameter":
            tensor = nn.Parameter(tensor.detach())
    return tensor


def float64_bits(values: list[float]) -> list[bytes | str]:
    return ["nan" if math.isnan(v) else struct.pack(">d", v) for v in values]


@settings(max_examples=300, deadline=None)
@given(tensors())
def test_a_tensor_is_read_as_all_its_values_converted_to_float64(tensor: torch.Tensor):
    expected = tensor.detach().reshape(-1).to("cpu", torch.float64).tolist()
    values, problem = read_numbers(tensor)
    assert problem is None
    assert values is not None and all(type(v) is float for v in values)
    assert float64_bits(values) == float64_bits(expected)


LIARS = {
    "tolist": lambda self: [42.0],
    "dim": lambda self: 1,
    "reshape": lambda self, *shape: self,
    "to": lambda self, *args, **kwargs: self,
    "detach": lambda self: torch.zeros(1),
    "numel": lambda self: 0,
    "dtype": property(lambda self: torch.float32),
}


@settings(max_examples=100, deadline=None)
@given(tensors(), st.sets(st.sampled_from(sorted(LIARS)), min_size=1))
def test_tensor_methods_patched_by_student_code_change_nothing_read(tensor, patched):
    """Student code runs in the same process and may replace any method of `torch.Tensor`;
    the reader uses torch's own, bound before any student code ran."""
    expected = tensor.detach().reshape(-1).to("cpu", torch.float64).tolist()
    originals = {name: torch.Tensor.__dict__.get(name) for name in patched}
    try:
        for name in patched:
            setattr(torch.Tensor, name, LIARS[name])
        values, problem = read_numbers(tensor)
    finally:
        for name, original in originals.items():
            if original is None:
                delattr(torch.Tensor, name)
            else:
                setattr(torch.Tensor, name, original)
    assert problem is None
    assert values is not None and all(type(v) is float for v in values)
    assert float64_bits(values) == float64_bits(expected)
