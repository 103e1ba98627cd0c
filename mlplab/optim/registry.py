"""Optimizers by name, for `fit(optimizer="sgd")`, configs and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlplab._checks import check_choice, invalid
from mlplab.optim.base import GradientTransformation
from mlplab.optim.sgd import sgd

OPTIMIZERS: dict[str, Callable[..., GradientTransformation]] = {"sgd": sgd}


def get_optimizer(optimizer: str | GradientTransformation, *, owner: str = "fit",
                  **hyperparameters: Any) -> GradientTransformation:
    """An optimizer from a name plus hyperparameters, or a ready transformation."""
    if isinstance(optimizer, GradientTransformation):
        return optimizer
    name = check_choice("optimizer", owner, optimizer, OPTIMIZERS)
    try:
        return OPTIMIZERS[name](**hyperparameters)
    except TypeError as error:
        raise invalid("optimizer", owner, f"hyperparameters that {name} takes",
                      f"{sorted(hyperparameters)} ({error})", raw=True) from None
