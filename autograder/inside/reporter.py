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
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import nn

from autograder.inside.observations import (
    MAX_CALLS_IN_TRAINING,
    MAX_PARAMETER_VALUES,
    MAX_VALUES,
    OTHER_INPUTS,
    Answer,
    LossQuestion,
    LossRun,
    LossTrainingQuestion,
    LossTrainingRun,
    ParameterState,
    Question,
    UpdateRun,
)
from autograder.inside.replay import Enough, TrainingFailed, TrainingReplay

LOSS_NAME = "mean_squared_error"
UPDATE_NAME = "update"
_MAX_ERROR = 500

_issubclass = builtins.issubclass
_callable = builtins.callable
_float = builtins.float
_type = builtins.type
_Tensor = torch.Tensor
_Parameter = nn.Parameter
_NoTorchFunction = torch._C.DisableTorchFunction
_detach, _reshape, _to, _tolist = _Tensor.detach, _Tensor.reshape, _Tensor.to, _Tensor.tolist
_dim, _dtype = _Tensor.dim, torch._C.TensorBase.dtype.__get__
_is_complex, _to_dense, _dequantize = _Tensor.is_complex, _Tensor.to_dense, _Tensor.dequantize
_backward, _new_tensor, _as_subclass = _Tensor.backward, torch.tensor, _Tensor.as_subclass
_clone, _equal, _no_grad = _Tensor.clone, torch.equal, torch.no_grad
_copy, _zero = _Tensor.copy_, _Tensor.zero_
_ones_like, _numel, _strided = torch.ones_like, _Tensor.numel, torch.strided
_autograd_engine = torch.autograd.Variable._execution_engine
_set_grad = torch._C.TensorBase.grad.__set__
_float64 = torch.float64
# Dtypes whose `tolist()` already gives each value exactly as float64 holds it.
_EXACT_AS_FLOATS = (torch.float32, torch.float64)
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Attributes read through the C descriptors themselves: a subclass's `__getattribute__` or a
# property it defines is never consulted.
_ATTRIBUTES = {
    name: getattr(torch._C.TensorBase, name).__get__
    for name in ("shape", "requires_grad", "is_leaf", "grad")
}


_Input = tuple[str, Any, torch.Tensor]  # what a call of the loss was handed: (name, it, before)


class _Discarded(io.TextIOBase):
    """Where what the student's code prints goes while it answers the judge: nowhere, and
    nothing kept, however much it prints."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


_DISCARDED = _Discarded()


def describe_error(error: BaseException) -> str:
    """`Type: message (cell N, line L)`, pointing at the student's own code where possible;
    never raises, whatever the exception's `__str__` or its class's name does (`SystemExit`
    from a `__str__` too: this is the student's code, reporting on itself)."""
    try:
        name = str.__str__(_type(error).__name__)
    except BaseException:
        name = "Exception"
    try:
        lines = str(error).strip().splitlines()
        text = lines[0] if lines else ""
    except BaseException:
        text = "(its message could not be read)"
    where = ""
    with contextlib.suppress(BaseException):  # frames only: no source file is read for them
        for frame, line in reversed(list(traceback.walk_tb(error.__traceback__))):
            filename = frame.f_code.co_filename
            if filename.startswith("<cell"):
                where = f" ({filename.strip('<>')}, line {line})"
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
            return _flat_floats(tensor), None
    except Exception as error:
        return None, f"a tensor whose values could not be read ({describe_error(error)})"


def _flat_floats(tensor: torch.Tensor) -> list[float]:
    """A dense real tensor's values, flattened, as floats. Read as they are when they already
    are floats (every read of `a` and its gradient, a few per call of `update()`), converted to
    float64 first otherwise. A loss's single value is read as it is: a number, not a list."""
    if _dtype(tensor) not in _EXACT_AS_FLOATS:
        tensor = _to(tensor, "cpu", _float64)
    dimensions = _dim(tensor)
    if dimensions == 0:
        return [_tolist(tensor)]
    if dimensions != 1:
        tensor = _reshape(tensor, (-1,))
    return _tolist(tensor)


def _shape(value: Any) -> list[int] | None:
    if not _is(value, _Tensor):
        return None
    shape = _attribute(value, "shape")
    return None if shape is None else [int(size) for size in shape][:8]


def value_kind(value: Any) -> str:
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


def _outcome(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """(what `call()` returned, None), or (None, what it raised): SystemExit too, which fails
    one question only."""
    try:
        return call(), None
    except BaseException as error:
        return None, error


def _backward_through(result: torch.Tensor) -> None:
    """`result.backward()`, for a plain tensor. A real number on the CPU that is part of a
    graph, which is what a loss returns, goes straight to autograd's engine with the gradient
    `backward()` would make for it (ones), as `backward()` itself passes it on: that skips
    about 25 µs of argument handling a call, a hundred calls a notebook. Anything else goes
    through `backward()`, so that torch says what is wrong with it."""
    if (
        _attribute(result, "requires_grad") is True
        and _numel(result) == 1
        and _dtype(result).is_floating_point
        and result.layout == _strided
        and not result.is_nested
        and result.device.type == "cpu"
    ):
        gradient = _ones_like(result, memory_format=torch.preserve_format)
        _autograd_engine.run_backward((result,), (gradient,), False, False, (), True, True)
    else:
        _backward(result)


@dataclass(frozen=True)
class LessonData:
    """The lesson's data and learning rate as the notebook builds them (the judge sends them
    with the notebook); every question gets fresh copies, so nothing a student's function
    does to them reaches the next question."""

    x: torch.Tensor
    y: torch.Tensor
    lr: float
    dtype: torch.dtype
    names_for_training: dict[str, Any]  # set by the notebook after the loss's graded cell

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LessonData:
        dtype = _DTYPES[raw["dtype"]]
        return cls(
            _new_tensor(raw["x"], dtype=dtype),
            _new_tensor(raw["y"], dtype=dtype),
            raw["lr"],
            dtype,
            dict(raw["names_for_training"]),
        )

    def tensor(self, values: list[float], requires_grad: bool = False) -> torch.Tensor:
        return _new_tensor(values, dtype=self.dtype, requires_grad=requires_grad)

    def data(self) -> tuple[torch.Tensor, torch.Tensor]:
        return _clone(self.x), _clone(self.y)


class _TooFewCalls(Exception):
    """The training cell, replayed to ask the loss, called update() fewer times than asked."""


class Undefined(NameError):
    """The namespace holds no function of the asked name."""


class Reporter:
    """Answers the judge's questions by calling the functions found in `namespace`."""

    def __init__(
        self,
        namespace: MutableMapping[str, Any],
        lesson: LessonData,
        training: TrainingReplay | None,
    ) -> None:
        self.namespace = namespace
        self.lesson = lesson
        self.training = training  # the lesson's training cell, which asks update()

    def answer(self, question: Question) -> Answer:
        """What the student's function did; whatever it did, an answer (never an exception)."""
        try:
            if _is(question, LossQuestion):
                return self.loss(list(question.y), list(question.y_guess), question.plain)
            if _is(question, LossTrainingQuestion):
                return self.loss_training([list(p) for p in question.positions])
            return self.updates(list(question.start), question.calls)
        except BaseException as error:
            problem = f"what your function did could not be read ({describe_error(error)})"
            if _is(question, LossQuestion):
                return _unreadable_loss(problem)
            if _is(question, LossTrainingQuestion):
                unreadable = [_unreadable_loss(problem) for _ in question.positions]
                return LossTrainingRun(unreadable, [], [])
            return UpdateRun(list(question.start), question.calls, [], problem)

    @staticmethod
    @contextlib.contextmanager
    def _quietly() -> Iterator[None]:
        """Keep the student's prints and warnings out of the grader's streams while one
        question is answered. Warnings meet the filters the notebook set, as its functions
        met them in Jupyter: one the notebook made an error raises here too, and one a call
        sets holds for the calls after it, as in a run of a cell. The filters are the
        notebook's again afterwards."""
        with (
            contextlib.redirect_stdout(_DISCARDED),
            contextlib.redirect_stderr(_DISCARDED),
            warnings.catch_warnings(),
        ):
            yield

    def _function(self, name: str) -> Callable[..., Any]:
        function = self.namespace.get(name)
        if function is None:
            raise Undefined(f"name '{name}' is not defined")
        if not _callable(function):
            raise TypeError(f"'{name}' is not a function")
        return function

    def loss(self, y: list[float], y_guess: list[float], plain: bool = False) -> LossRun:
        """One call on these numbers: `y_guess` part of a graph (as `x @ a` is in update()),
        then `backward()` on the result; or, `plain`, a tensor with no graph, called with
        gradients off (as the training cell's loss per epoch is)."""
        targets = self.lesson.tensor(y)
        guess_leaf = self.lesson.tensor(y_guess, requires_grad=not plain)
        guess = guess_leaf if plain else guess_leaf * 1.0  # like `x @ a`: not a leaf
        inputs = [
            ("y", targets, _clone(_detach(targets))),
            ("y_guess", guess, _clone(_detach(guess))),
        ]
        with self._quietly(), _no_grad() if plain else contextlib.nullcontext():
            called = _outcome(lambda: self._function(LOSS_NAME)(targets, guess))
            return self._loss_run(*called, guess_leaf, inputs)

    def loss_training(self, positions: list[list[float]]) -> LossTrainingRun:
        """The loss as the lesson's training cell calls it, the cell run at the loss's graded
        cell with `a` moved to each position in turn: in update() (`x @ a` with its graph, then
        the gradient that reaches `a`), and the cell's own calls (its loss per epoch). Where
        the cell cannot run there (it reads a name the notebook sets only later, say), the
        loss is asked from a loop of the kit's own, and the answer says why."""
        if self.training is None:
            why = "the plan holds no training cell"
        elif not _callable(self.namespace.get(LOSS_NAME)):
            return self._loss_along(positions)  # each call says it is not defined
        else:
            try:
                return self._loss_in_training(positions)
            except TrainingFailed as failed:
                why = f"the lesson's training cell raised {describe_error(failed.__cause__)}"
            except _TooFewCalls as few:
                why = str(few)
        return replace(self._loss_along(positions), replay_failed=why)

    def _loss_in_training(self, positions: list[list[float]]) -> LossTrainingRun:
        """Run the training cell with `_LossInTraining`'s stand-ins for `update()` and the
        loss; every call the cell makes of the loss is the student's function's own."""
        assert self.training is not None
        asking = _LossInTraining(self, self._function(LOSS_NAME), positions)
        given = {
            **self.lesson.names_for_training,  # what the notebook sets before it trains
            "x": asking.x,
            "y": asking.y,
            "lr": self.lesson.lr,
        }
        with self._quietly():
            self.training.run(
                self.namespace,
                {**given, UPDATE_NAME: asking.update, LOSS_NAME: asking.mean_squared_error},
                as_trained=False,
            )
        return asking.answer()

    def _loss_along(self, positions: list[list[float]]) -> LossTrainingRun:
        """The loss of `x @ a` on the lesson's data for `a` an `nn.Parameter` at each position,
        called from the kit's own loop: as update() computes it, with the gradient that
        reaches `a`, then with gradients off, as a training cell's loss per epoch is."""
        in_update, by_the_cell = [], []
        with self._quietly():
            for plain, calls in ((False, in_update), (True, by_the_cell)):
                for position in positions:
                    x, y = self.lesson.data()
                    parameter = _Parameter(self.lesson.tensor(position))
                    inputs = [
                        ("y", y, self.lesson.y),
                        ("x", x, self.lesson.x),
                        ("a", parameter, self.lesson.tensor(position)),
                    ]
                    with _no_grad() if plain else contextlib.nullcontext():
                        called = _outcome(
                            lambda: self._function(LOSS_NAME)(y, x @ parameter)  # noqa: B023
                        )
                        calls.append(self._loss_run(*called, None if plain else parameter, inputs))
        return LossTrainingRun(in_update, by_the_cell, list(range(len(by_the_cell))))

    def _loss_run(
        self, result: Any, raised: BaseException | None, leaf: Any, inputs: list[_Input]
    ) -> LossRun:
        """What one call of the loss did: what it raised or returned, and, after `backward()`
        on it, the gradient that reached `leaf`, and which of its `inputs` it changed in place
        (read last: a hook a student put on the graph runs during `backward()`). Runs with the
        student's output kept quiet."""
        error = describe_error(raised) if raised is not None else None
        undefined = _is(raised, Undefined)
        grad = grad_error = None
        if error is None and _is(result, _Tensor):
            grad, grad_error = self._gradient(result, leaf)
        values, problem = read_numbers(result) if error is None else (None, None)
        return LossRun(
            error=error,
            undefined=undefined,
            returned=None if error else value_kind(result),
            shape=_shape(result),
            values=values,
            problem=problem,
            tracks_gradient=self._tracks_gradient(result),
            grad=grad,
            grad_error=grad_error,
            changed=_changed(inputs),
        )

    @staticmethod
    def _gradient(result: Any, leaf: Any) -> tuple[list[float] | None, str | None]:
        if _attribute(leaf, "requires_grad") is not True:
            return None, None  # a plain input: there is no gradient to follow
        try:
            with _NoTorchFunction():
                _backward_through(_as_subclass(result, _Tensor))  # the graph, not the wrapper
        except BaseException as raised:
            return None, describe_error(raised)
        gradient = _attribute(leaf, "grad")
        if gradient is None:
            return None, "no gradient reached the guess"
        return read_numbers(gradient)

    @staticmethod
    def _tracks_gradient(result: Any) -> bool:
        return _is(result, _Tensor) and _attribute(result, "requires_grad") is True

    def updates(self, start: list[float], calls: int) -> UpdateRun:
        """The first `calls` calls the lesson's training cell makes of `update()`, with
        `a = nn.Parameter(start)` from its first call, on fresh copies of the lesson's data,
        with a correct loss in place of the student's."""
        x, y = self.lesson.data()
        parameter = _Parameter(self.lesson.tensor(start))
        given = {"x": x, "y": y, "lr": self.lesson.lr, LOSS_NAME: _correct_loss}
        states: list[ParameterState] = []
        error, undefined, training_failed = None, False, False
        try:
            update = self._function(UPDATE_NAME)
            if self.training is None:
                raise LookupError("the plan holds no training cell to ask update() with")
            with self._quietly():
                self.training.ask_update(
                    self.namespace,
                    given,
                    update,
                    parameter,
                    calls,
                    lambda: states.append(parameter_state(parameter, self.namespace)),
                )
        except Undefined as missing:
            error, undefined = describe_error(missing), True
        except TrainingFailed as failed:
            error, training_failed = describe_error(failed.__cause__), True
        except BaseException as raised:  # SystemExit too: it fails this question only
            error = describe_error(raised)
        return UpdateRun(list(start), calls, states, error, undefined, training_failed)


class _LossInTraining:
    """The loss asked by the lesson's training cell, as it calls it: `update` stands in for the
    student's update(): it puts `a` at the next position, calls the student's loss on `x @ a`
    as update() does, and zeroes the gradient, as a correct update() leaves it; the student's
    loss, watched, answers the cell's own calls (`mean_squared_error`). Every call the cell
    makes gets a correct loss back, so one wrong value costs in the loss's checks, not in every
    call after it. Calls the student's loss makes of itself go straight to it, unwatched."""

    def __init__(
        self, reporter: Reporter, loss: Callable[..., Any], positions: list[list[float]]
    ) -> None:
        self.reporter = reporter
        self.loss = loss
        self.lesson = reporter.lesson
        self.x, self.y = self.lesson.data()
        self.points = [self.lesson.tensor(position) for position in positions]
        self.parameter = _Parameter(_clone(self.points[0]))
        self.made = 0  # calls of update() so far; `a` is at points[made - 1]
        self.inside = 0  # calls of the student's loss under way
        self.in_update: list[LossRun] = []  # one per position, in order
        self.own: list[tuple[int, LossRun]] = []  # the cell's own calls: (position, call)

    def update(self, *args: Any, **kwargs: Any) -> None:  # named as the student's is
        if self.made == len(self.points):
            raise Enough
        parameter = self.parameter
        with _no_grad():
            _copy(parameter, self.points[self.made])
        _set_grad(parameter, None)
        self.reporter.namespace["a"] = parameter
        self.made += 1
        self.inside += 1
        try:  # called from a function named update(), as the student's update() calls it
            result, raised = self.loss(self.y, self.x @ parameter), None
        except BaseException as error:
            result, raised = None, error
        finally:
            self.inside -= 1
        self.in_update.append(self.reporter._loss_run(result, raised, parameter, self._inputs()))
        gradient = _attribute(parameter, "grad")
        if gradient is not None:
            _zero(gradient)

    def mean_squared_error(self, *args: Any, **kwargs: Any) -> Any:
        if self.inside:  # the student's loss calling itself by name
            return self.loss(*args, **kwargs)
        if len(self.own) >= MAX_CALLS_IN_TRAINING:
            raise Enough
        position = max(self.made - 1, 0)
        on_lesson_inputs = (
            not kwargs
            and len(args) == 2
            and _same(args[0], self.lesson.y)
            and _same(args[1], self.lesson.x @ self.points[position])
        )
        self.inside += 1
        try:  # what it was handed is read after the call, as update()'s are
            called = _outcome(lambda: self.loss(*args, **kwargs))
            run = self.reporter._loss_run(*called, None, self._inputs())
        finally:
            self.inside -= 1
        self.own.append((position if on_lesson_inputs else OTHER_INPUTS, run))
        return _correct_loss(*args, **kwargs)

    def _inputs(self) -> list[_Input]:
        """What the cell's call of the loss was handed, beside what each held before it."""
        inputs = [("y", self.y, self.lesson.y), ("x", self.x, self.lesson.x)]
        if self.made:
            inputs.append(("a", self.parameter, self.points[self.made - 1]))
        return inputs

    def answer(self) -> LossTrainingRun:
        """The calls made: update()'s, one per position, and the cell's own."""
        if self.made != len(self.points):
            raise _TooFewCalls(
                f"the lesson's training cell called update() {self.made} times, "
                f"not {len(self.points)}"
            )
        return LossTrainingRun(
            list(self.in_update),
            [run for _, run in self.own],
            [at for at, _ in self.own],
        )


def _unreadable_loss(problem: str) -> LossRun:
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
    )


def _changed(inputs: list[_Input]) -> tuple[str, ...]:
    """The names of the inputs a call changed in place: (name, the input, what it held)."""
    return tuple(name for name, now, before in inputs if not _same(now, before))


def _same(value: Any, original: torch.Tensor) -> bool:
    """Whether a tensor still holds what it was handed over with, read as torch stores it."""
    try:
        with _NoTorchFunction():
            return _is(value, _Tensor) and bool(_equal(_detach(value), original))
    except Exception:
        return False


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
