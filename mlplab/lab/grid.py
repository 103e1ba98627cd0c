"""Sweep grids: the configurations a sweep trains, one `Config` per combination.

Every axis takes one value or a list of values, and the grid is every
combination, alpha varying fastest, then seed, ..., hidden slowest (the order
of `AXES`). Hidden sizes: an int is one hidden layer, a tuple such as (16, 8)
several, 0 none (a one-layer network); so ``hidden=[4, 8]`` is two
configurations and ``hidden=[(16, 8)]`` one with two hidden layers.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from mlplab._checks import check_choice, check_int, check_number, invalid
from mlplab.activations import get_activation
from mlplab.initializers import get_initializer
from mlplab.losses import get_loss
from mlplab.model import MLP
from mlplab.optim import OPTIMIZERS

# Slowest-varying first. Configurations that differ only in the last two
# (seed and alpha) share a shape and train as one population.
AXES = ("hidden", "activation", "output_activation", "optimizer", "loss", "batch_size", "bias",
        "init", "iterations", "seed", "alpha")

# Gradient-step optimizers (they take a step size alpha, one per model of a
# population); full-batch solvers such as lbfgs do not.
GRADIENT_OPTIMIZERS = tuple(OPTIMIZERS.names(learning_rate="alpha"))


@dataclass(frozen=True)
class Config:
    """One network and how it trains: a point of a sweep's grid (tutorial defaults)."""

    hidden: int | tuple[int, ...] = 4
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    optimizer: str = "sgd"
    loss: str = "delta"
    batch_size: int | None = None
    bias: bool = False
    init: str = "tutorial"
    iterations: int = 60000
    seed: int = 1
    alpha: float = 1.0

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        """The hidden layer sizes as a tuple (empty for no hidden layer)."""
        if isinstance(self.hidden, tuple):
            return self.hidden
        return (self.hidden,) if self.hidden else ()

    def shared(self) -> tuple[Any, ...]:
        """Everything but seed and alpha: what the models of one population share."""
        return tuple(getattr(self, name) for name in AXES[:-2])

    def network(self, n_inputs: int, n_outputs: int, seed: Any) -> MLP:
        """This configuration's MLP; `seed` an int, or a list of seeds for a population."""
        return MLP([n_inputs, *self.hidden_sizes, n_outputs], activation=self.activation,
                   output_activation=self.output_activation, bias=self.bias, init=self.init,
                   seed=seed)

    def columns(self) -> dict[str, Any]:
        """The configuration as a table row's columns."""
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Config:
        """The configuration a table row describes."""
        return cls(**{name: row[name] for name in AXES})


def grid(**axes: Any) -> list[Config]:
    """Every combination of the given axes (see `AXES`); axes not given keep Config's default."""
    for name in axes:
        check_choice("axis", "grid", name, AXES)
    values = [_axis_values(name, axes.get(name, getattr(Config, name))) for name in AXES]
    return [Config(**dict(zip(AXES, combo, strict=True))) for combo in itertools.product(*values)]


def _axis_values(name: str, value: Any) -> list[Any]:
    """One axis's values, each checked and normalized."""
    many = isinstance(value, list | tuple | range | np.ndarray) and not (
        name == "hidden" and isinstance(value, tuple) and not value)
    values = list(value) if many else [value]
    if not values:
        raise invalid(name, "sweep", "a value or a non-empty list of values", value)
    return [_CHECKS[name](v) for v in values]


def _hidden(value: Any) -> int | tuple[int, ...]:
    if value is None or (isinstance(value, tuple | list) and not value):
        return 0
    if isinstance(value, tuple | list):
        sizes = tuple(check_int("hidden", "sweep", v, low=1) for v in value)
        return sizes[0] if len(sizes) == 1 else sizes
    return check_int("hidden", "sweep", value, low=0)


def _name_check(name: str, lookup: Callable[..., Any]) -> Callable[[Any], str]:
    """A check that `lookup` accepts a name (strings only: rows must hold plain values)."""
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise invalid(name, "sweep", "a name (str) or a list of names", value)
        lookup(value)
        return value

    return check


def _bias(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise invalid("bias", "sweep", "True or False", value)
    return bool(value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "hidden": _hidden,
    "activation": _name_check("activation", lambda v: get_activation(
        v, owner="sweep", parameter="activation")),
    "output_activation": _name_check("output_activation", lambda v: get_activation(
        v, owner="sweep", parameter="output_activation")),
    "optimizer": _name_check("optimizer", lambda v: check_choice(
        "optimizer", "sweep", v, GRADIENT_OPTIMIZERS)),
    "loss": _name_check("loss", lambda v: get_loss(v, owner="sweep")),
    "batch_size": lambda v: check_int("batch_size", "sweep", v, low=1, allow_none=True),
    "bias": _bias,
    "init": _name_check("init", lambda v: get_initializer(v, owner="sweep")),
    "iterations": lambda v: check_int("iterations", "sweep", v, low=1),
    "seed": lambda v: check_int("seed", "sweep", v, low=0),
    "alpha": lambda v: check_number("alpha", "sweep", v),
}


def population_groups(configs: Sequence[tuple[int, Config]]
                      ) -> list[list[tuple[int, Config]]]:
    """(index, config) pairs grouped by shared shape and settings, in order of first appearance."""
    groups: dict[tuple[Any, ...], list[tuple[int, Config]]] = {}
    for item in configs:
        groups.setdefault(item[1].shared(), []).append(item)
    return list(groups.values())
