"""Optimizers by name, with their facts, for `fit(optimizer="sgd")`, configs and the CLI.

`OPTIMIZERS` is a `mlplab.registry.Registry` (a dict of canonical name ->
factory) whose entries record:

- ``kind``: "transformation" (a step per batch, `fit` calls its update) or
  "solver" (runs its own full-batch loop: BFGS, L-BFGS, annealing);
- ``learning_rate``: the name of its learning-rate argument ("alpha"), or
  None for solvers;
- ``full_batch``: True for solvers, which see the whole data set each step;

and its aliases ("l-bfgs" for "lbfgs"). Each optimizer module registers its
own entries with `register_optimizer` or `register_solver`, and its chain
links and schedules in `LINKS` and `SCHEDULES`, which
`mlplab.optim.config.optimizer_from_config` reads too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mlplab._checks import invalid
from mlplab.optim.base import GradientTransformation, chain, scale
from mlplab.optim.config import optimizer_from_config
from mlplab.optim.solver import Solver
from mlplab.registry import Registry

OPTIMIZERS = Registry("optimizer")
LINKS = Registry("transformation")  # chain links, by factory name, for configs
SCHEDULES = Registry("schedule")


def register_optimizer(name: str, factory: Callable[..., GradientTransformation], *,
                       aliases: Iterable[str] = (), learning_rate: str = "alpha") -> None:
    """Add a gradient-step optimizer (it takes a learning rate, one step per batch)."""
    OPTIMIZERS.add(name, factory, aliases=aliases, kind="transformation",
                   learning_rate=learning_rate, full_batch=False)


def register_solver(name: str, factory: Callable[..., Solver], *,
                    aliases: Iterable[str] = ()) -> None:
    """Add a full-batch solver (no learning rate; it drives its own loop)."""
    OPTIMIZERS.add(name, factory, aliases=aliases, kind="solver", learning_rate=None,
                   full_batch=True)


def _chain_of(links: list[GradientTransformation]) -> GradientTransformation:
    return chain(*links)


LINKS.add("chain", _chain_of)
LINKS.add("scale", scale)


def get_optimizer(optimizer: str | dict | GradientTransformation | Solver, *, owner: str = "fit",
                  **hyperparameters: Any) -> GradientTransformation | Solver:
    """An optimizer from a name (or alias) plus hyperparameters, a config, or a ready one."""
    if isinstance(optimizer, GradientTransformation | Solver):
        return optimizer
    if isinstance(optimizer, dict):
        return optimizer_from_config({**optimizer, **hyperparameters})
    name = OPTIMIZERS.canonical(optimizer, owner=owner, parameter="optimizer")
    try:
        return OPTIMIZERS[name](**hyperparameters)
    except TypeError as error:
        raise invalid("optimizer", owner, f"hyperparameters that {name} takes",
                      f"{sorted(hyperparameters)} ({error})", raw=True) from None
