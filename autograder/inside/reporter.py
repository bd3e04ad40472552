"""Inside the student's process: call the student's functions and say what they did.

`Reporter` answers the judge's questions (see `observations`) by calling the functions
in a namespace: the sandboxed student process's, or a notebook kernel's when nbgrader runs the
graded cells. Every answer is plain numbers and short text, whatever the function returned (a
complex or meta tensor, a sparse or quantized one, a subclass that lies, a nested list, a huge
tensor, an object whose `__str__` raises): what cannot be read as real numbers is reported as a
problem, and an error answers that question only.

The torch functions and builtins used to read results are bound here when the module is
imported, before any student code runs, so a student who patches `torch.Tensor.tolist` or
`builtins.isinstance` changes their own view, not this report. None of this is a security
boundary (student code shares the process); the judge verifies every number it is told.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import traceback
import warnings
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import torch
from torch import nn

from autograder import exercise
from autograder.inside.observations import (
    MAX_PARAMETER_VALUES,
    MAX_VALUES,
    LossQuestion,
    LossRun,
    ParameterState,
    Question,
    UpdateRun,
)

LOSS_NAME = "mean_squared_error"
UPDATE_NAME = "update"
_MAX_CAPTURED_OUTPUT = 64 * 1024
_MAX_ERROR = 500

_issubclass = builtins.issubclass
_callable = builtins.callable
_float = builtins.float
_type = builtins.type
_Tensor = torch.Tensor
_Parameter = nn.Parameter
_NoTorchFunction = torch._C.DisableTorchFunction
_detach, _reshape, _to, _tolist = _Tensor.detach, _Tensor.reshape, _Tensor.to, _Tensor.tolist
_is_complex, _to_dense, _dequantize = _Tensor.is_complex, _Tensor.to_dense, _Tensor.dequantize
_backward, _new_tensor, _as_subclass = _Tensor.backward, torch.tensor, _Tensor.as_subclass
_float64, _float32 = torch.float64, torch.float32
# Attributes read through the C descriptors themselves: a subclass's `__getattribute__` or a
# property it defines is never consulted.
_ATTRIBUTES = {
    name: getattr(torch._C.TensorBase, name).__get__
    for name in ("shape", "requires_grad", "is_leaf", "grad")
}


def describe_error(error: BaseException) -> str:
    """`Type: message (cell N, line L)`, pointing at the student's own code where possible;
    never raises, whatever the exception's `__str__` does."""
    try:
        name = _type(error).__name__
    except Exception:
        name = "Exception"
    try:
        lines = str(error).strip().splitlines()
        text = lines[0] if lines else ""
    except Exception:
        text = "(its message could not be read)"
    where = ""
    with contextlib.suppress(Exception):
        for frame in reversed(traceback.extract_tb(error.__traceback__)):
            if frame.filename.startswith("<cell"):
                where = f" ({frame.filename.strip('<>')}, line {frame.lineno})"
                break
    return f"{name}{': ' if text else ''}{text}{where}"[:_MAX_ERROR]


def _is(value: Any, kinds: type | tuple[type, ...]) -> bool:
    """`isinstance` by the object's real type: never runs a method the object defines."""
    return _issubclass(_type(value), kinds)


def read_numbers(value: Any, most: int = MAX_VALUES) -> tuple[list[float] | None, str | None]:
    """The real numbers in a tensor or a Python number, flattened, or None and why not."""
    if _is(value, (int, float)) and not _is(value, bool):
        try:
            return [_float(value)], None
        except Exception as error:
            return None, f"a number that could not be read ({describe_error(error)})"
    if not _is(value, _Tensor):
        return None, None
    try:
        with _NoTorchFunction():
            tensor = _detach(value)
            if tensor.is_meta:
                return None, "a tensor on the meta device, which holds no values"
            if tensor.is_nested:
                return None, "a nested tensor"
            if _is_complex(tensor):
                return None, "a complex tensor: the loss must be a real number"
            if tensor.is_quantized:
                tensor = _dequantize(tensor)
            if tensor.layout != torch.strided:
                tensor = _to_dense(tensor)
            if tensor.numel() > most:
                return None, f"a tensor of {tensor.numel()} values, too many to report"
            return _tolist(_to(_reshape(tensor, (-1,)), "cpu", _float64)), None
    except Exception as error:
        return None, f"a tensor whose values could not be read ({describe_error(error)})"


def _shape(value: Any) -> list[int] | None:
    if not _is(value, _Tensor):
        return None
    shape = _attribute(value, "shape")
    return None if shape is None else [int(size) for size in shape][:8]


def _kind(value: Any) -> str:
    if _is(value, _Tensor):
        return "tensor"
    if _is(value, (int, float)) and not _is(value, bool):
        return "number"
    try:
        return _type(value).__name__[:100]
    except Exception:
        return "object"


def _correct_loss(y: Any, y_guess: Any) -> Any:
    """A correct loss, put in place while `update()` is observed: one mistake in the loss
    costs points once, in the loss checks, not again in every check of `update()`."""
    return ((y_guess - y) ** 2).mean()


class Undefined(NameError):
    """The namespace holds no function of the asked name."""


class Reporter:
    """Answers the judge's questions by calling the functions found in `namespace`."""

    def __init__(self, namespace: MutableMapping[str, Any]) -> None:
        self.namespace = namespace
        self.output = io.StringIO()

    def answer(self, question: Question) -> LossRun | UpdateRun:
        """What the student's function did; whatever it did, an answer (never an exception)."""
        try:
            if _is(question, LossQuestion):
                return self.loss(list(question.y), list(question.y_guess))
            return self.updates(list(question.start), question.calls, question.own_loss)
        except BaseException as error:
            problem = f"what your function did could not be read ({describe_error(error)})"
            if _is(question, LossQuestion):
                return LossRun(
                    error=problem,
                    undefined=False,
                    returned=None,
                    shape=None,
                    values=None,
                    problem=None,
                    tracks_gradient=False,
                    grad=None,
                    grad_error=None,
                    y_after=None,
                    y_guess_after=None,
                )
            return UpdateRun(list(question.start), question.calls, [], problem)

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Keep the student's prints and warnings out of the grader's streams."""
        with (
            contextlib.redirect_stdout(self.output),
            contextlib.redirect_stderr(self.output),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
        if self.output.tell() > _MAX_CAPTURED_OUTPUT:
            self.output = io.StringIO()

    def _function(self, name: str) -> Callable[..., Any]:
        function = self.namespace.get(name)
        if function is None:
            raise Undefined(f"name '{name}' is not defined")
        if not _callable(function):
            raise TypeError(f"'{name}' is not a function")
        return function

    def loss(self, y: list[float], y_guess: list[float]) -> LossRun:
        targets = _new_tensor(y, dtype=_float32)
        guess_leaf = _new_tensor(y_guess, dtype=_float32, requires_grad=True)
        guess = guess_leaf * 1.0  # like `x @ a`: part of a graph, not a leaf
        result = error = grad = grad_error = None
        undefined = False
        with self._quietly():
            try:
                result = self._function(LOSS_NAME)(targets, guess)
            except Undefined as missing:
                error, undefined = describe_error(missing), True
            except BaseException as raised:  # SystemExit too: it fails this question only
                error = describe_error(raised)
            if error is None and _is(result, _Tensor):
                grad, grad_error = self._gradient(result, guess_leaf)
        values, problem = read_numbers(result) if error is None else (None, None)
        y_after, _ = read_numbers(targets)
        y_guess_after, _ = read_numbers(guess)
        return LossRun(
            error=error,
            undefined=undefined,
            returned=None if error else _kind(result),
            shape=_shape(result),
            values=values,
            problem=problem,
            tracks_gradient=self._tracks_gradient(result),
            grad=grad,
            grad_error=grad_error,
            y_after=y_after,
            y_guess_after=y_guess_after,
        )

    @staticmethod
    def _gradient(result: Any, guess_leaf: Any) -> tuple[list[float] | None, str | None]:
        try:
            with _NoTorchFunction():
                _backward(_as_subclass(result, _Tensor))  # the graph, without the wrapper
        except BaseException as raised:
            return None, describe_error(raised)
        if guess_leaf.grad is None:
            return None, "no gradient reached y_guess"
        grad, problem = read_numbers(guess_leaf.grad)
        return grad, problem

    @staticmethod
    def _tracks_gradient(result: Any) -> bool:
        return _is(result, _Tensor) and _attribute(result, "requires_grad") is True

    def updates(self, start: list[float], calls: int, own_loss: bool = False) -> UpdateRun:
        x, y = exercise.make_data()
        parameter = _Parameter(_new_tensor(start, dtype=_float32))
        given = {"a": parameter, "x": x, "y": y, "lr": exercise.LEARNING_RATE}
        if not own_loss:
            given[LOSS_NAME] = _correct_loss
        saved = {name: self.namespace[name] for name in given if name in self.namespace}
        self.namespace.update(given)
        states: list[ParameterState] = []
        error, undefined = None, False
        try:
            update = self._function(UPDATE_NAME)
            with self._quietly():
                for _ in range(calls):
                    update()
                    states.append(parameter_state(parameter, self.namespace))
        except Undefined as missing:
            error, undefined = describe_error(missing), True
        except BaseException as raised:  # SystemExit too: it fails this question only
            error = describe_error(raised)
        finally:
            for name in given:
                self.namespace.pop(name, None)
            self.namespace.update(saved)
        return UpdateRun(list(start), calls, states, error, undefined)


def parameter_state(parameter: Any, namespace: MutableMapping[str, Any]) -> ParameterState:
    """What one call of `update()` left in the parameter the judge handed over."""
    values, _ = read_numbers(parameter, MAX_PARAMETER_VALUES)
    grad, _ = read_numbers(_attribute(parameter, "grad"), MAX_PARAMETER_VALUES)
    return ParameterState(
        values=values,
        grad=grad,
        still_bound=namespace.get("a") is parameter,
        is_parameter=_is(parameter, _Parameter),
        is_leaf=_attribute(parameter, "is_leaf") is True,
        requires_grad=_attribute(parameter, "requires_grad") is True,
    )


def _attribute(value: Any, name: str) -> Any:
    """A tensor attribute as torch itself stores it, or None when `value` has none."""
    if not _is(value, _Tensor):
        return None
    try:
        with _NoTorchFunction():
            return _ATTRIBUTES[name](value)
    except Exception:
        return None
