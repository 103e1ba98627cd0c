"""A run's model, loss and optimizer as calls that can be both built and written as Python.

The playground builds its network from a `Call` tree, and the downloaded
script is the same tree printed as code (`Call.code`), so the two cannot
drift apart: the script's model, optimizer and loss are the playground's.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.activations import ACTIVATIONS
from mlplab.layers import Activation, Dense, DropConnect, Dropout
from mlplab.losses import LOSSES
from mlplab.model import Sequential
from mlplab.optim import chain, get_optimizer, l1_penalty, l2_penalty
from mlplab.optim.registry import OPTIMIZERS
from mlplab.playground.settings import OWNER, Settings

NAMESPACE = {"Sequential": Sequential, "Dense": Dense, "DropConnect": DropConnect,
             "Activation": Activation, "Dropout": Dropout, "chain": chain,
             "get_optimizer": get_optimizer, "l1_penalty": l1_penalty, "l2_penalty": l2_penalty}


class Call(NamedTuple):
    """``fn(*args, **kwargs)`` with `fn` a name in NAMESPACE; arguments may be Calls or lists."""

    fn: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def build(self) -> Any:
        return NAMESPACE[self.fn](*[_build(a) for a in self.args],
                                  **{k: _build(v) for k, v in self.kwargs})

    def code(self, indent: str = "") -> str:
        parts = [_code(a, indent) for a in self.args]
        parts += [f"{k}={_code(v, indent)}" for k, v in self.kwargs]
        return f"{self.fn}({', '.join(parts)})"


def _build(value: Any) -> Any:
    if isinstance(value, Call):
        return value.build()
    if isinstance(value, list):
        return [_build(v) for v in value]
    if isinstance(value, tuple) and value and value[0] == "array":  # a per-member vector
        return np.array(value[1], dtype=np.float64)
    return value


def _code(value: Any, indent: str) -> str:
    if isinstance(value, Call):
        return value.code(indent)
    if isinstance(value, list) and value and isinstance(value[0], Call):
        inner = indent + "    "
        return "[\n" + "".join(f"{inner}{_code(v, inner)},\n" for v in value) + indent + "]"
    if isinstance(value, tuple) and value and value[0] == "array":
        return f"np.array({list(value[1])!r})"
    return repr(value)


class Task(NamedTuple):
    """What the data asks of the output: its size, activation and the loss to use."""

    n_outputs: int
    output_activation: str
    loss: str


def task_of(settings: Settings, task: str, n_classes: int) -> Task:
    """The output layer and loss for a task; the chosen loss must suit it."""
    if task == "multiclass":
        if settings.loss not in ("auto", "softmax_crossentropy"):
            raise invalid("loss", OWNER, "'softmax_crossentropy' (or 'auto') for more than two "
                          "classes", settings.loss)
        return Task(n_classes, "softmax", "softmax_crossentropy")
    kind = "classification" if task == "binary" else "regression"
    allowed = [n for n in LOSSES if n != "softmax_crossentropy"] if task == "binary" else (
        LOSSES.names(task="regression"))
    loss = {"binary": "binary_crossentropy", "regression": "mse"}[task] if (
        settings.loss == "auto") else settings.loss
    if loss not in allowed:
        raise invalid("loss", OWNER, f"one of auto, {', '.join(allowed)} for {kind}",
                      settings.loss)
    return Task(1, "sigmoid" if task == "binary" else "linear", loss)


def model_call(settings: Settings, n_inputs: int, task: Task, seed: Any) -> Call:
    """``Sequential([...], seed=seed)``: Dense (or DropConnect), activation, dropout per layer."""
    sizes = [n_inputs, *settings.layers, task.n_outputs]
    layers: list[Call] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        last = i == len(sizes) - 2
        activation = task.output_activation if last else settings.activation(i)
        init = (("init", ACTIVATIONS.fact(activation, "init")),) if not last else ()
        if settings.dropconnect > 0:
            layers.append(Call("DropConnect", (n_in, n_out, settings.dropconnect), init))
        else:
            layers.append(Call("Dense", (n_in, n_out), init))
        layers.append(Call("Activation", (activation,)))
        if settings.dropout > 0 and not last:
            layers.append(Call("Dropout", (settings.dropout,)))
    return Call("Sequential", (layers,), (("seed", seed),))


def optimizer_call(settings: Settings, alpha: Any = None) -> Call:
    """``get_optimizer(name, alpha=..., **hp)``, after an L1/L2 penalty link when chosen.

    alpha: the learning rate, or ("array", [...]) for one per population member.
    """
    factory = OPTIMIZERS[settings.opt]
    defaults = {name: p.default for name, p in inspect.signature(factory).parameters.items()}
    hyperparameters = []
    for name, value in settings.hp:
        if name not in defaults or name in ("alpha", "maximize") or isinstance(
                defaults[name], tuple):
            takes = [n for n, d in defaults.items()
                     if n not in ("alpha", "maximize") and not isinstance(d, tuple)]
            raise invalid("hp", OWNER, f"hyperparameters that {settings.opt} takes: "
                          f"{', '.join(takes) or 'none'}", name)
        hyperparameters.append((name, bool(value) if isinstance(defaults[name], bool)
                                else value))
    optimizer = Call("get_optimizer", (settings.opt,),
                     (("alpha", settings.lr if alpha is None else alpha), *hyperparameters))
    if settings.reg == "none" or settings.rate == 0:
        return optimizer
    return Call("chain", (Call(f"{settings.reg}_penalty", (settings.rate,)), optimizer))


def hyperparameter_defaults() -> dict[str, dict[str, float | bool]]:
    """Each gradient optimizer's numeric and on/off hyperparameters and defaults, for the
    page's form (a bool stays a bool, so the page draws a checkbox for it)."""
    result = {}
    for name in OPTIMIZERS.names(kind="transformation"):
        parameters = inspect.signature(OPTIMIZERS[name]).parameters.values()
        result[name] = {p.name: p.default if isinstance(p.default, bool) else float(p.default)
                        for p in parameters
                        if p.name not in ("alpha", "maximize")
                        and isinstance(p.default, int | float)}
    return result


def listed(values: Sequence[Any]) -> tuple[str, list[Any]]:
    return ("array", list(values))
