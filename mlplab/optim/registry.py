"""Optimizers by name, for `fit(optimizer="sgd")`, configs and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from mlplab._checks import check_choice, invalid
from mlplab.optim.adadelta import adadelta
from mlplab.optim.adagrad import adagrad
from mlplab.optim.adam import adam, adamw
from mlplab.optim.annealing import simulated_annealing
from mlplab.optim.base import GradientTransformation
from mlplab.optim.quasi_newton import bfgs, lbfgs
from mlplab.optim.rmsprop import rmsprop
from mlplab.optim.sgd import sgd
from mlplab.optim.solver import Solver

OPTIMIZERS: dict[str, Callable[..., GradientTransformation | Solver]] = {
    "sgd": sgd,
    "momentum": partial(sgd, momentum=0.9),
    "nesterov": partial(sgd, momentum=0.9, nesterov=True),
    "adagrad": adagrad,
    "adadelta": adadelta,
    "rmsprop": rmsprop,
    "adam": adam,
    "adamw": adamw,
    "bfgs": bfgs,
    "lbfgs": lbfgs,
    "annealing": simulated_annealing,
}


def get_optimizer(optimizer: str | GradientTransformation | Solver, *, owner: str = "fit",
                  **hyperparameters: Any) -> GradientTransformation | Solver:
    """An optimizer from a name plus hyperparameters, or a ready transformation or solver."""
    if isinstance(optimizer, GradientTransformation | Solver):
        return optimizer
    name = check_choice("optimizer", owner, optimizer, OPTIMIZERS)
    try:
        return OPTIMIZERS[name](**hyperparameters)
    except TypeError as error:
        raise invalid("optimizer", owner, f"hyperparameters that {name} takes",
                      f"{sorted(hyperparameters)} ({error})", raw=True) from None
