"""Solvers: optimizers that drive their own full-batch loop (BFGS, L-BFGS, annealing).

A gradient transformation is called once per step by `fit`; a solver instead
receives the whole problem (an `mlplab.objective.Objective`: the loss and
gradients at the model's current weights) and runs until it converges or
spends its iterations, reporting each iteration through a callback so `fit`
can fill the History. Solvers change ``objective.model.params`` in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple


class SolveResult(NamedTuple):
    """How a solver finished: iterations taken and why it stopped (one entry per model)."""

    iterations: int
    stop_reason: list[str]


class Solver:
    """Base class: `minimize(objective, max_iterations, on_iteration) -> SolveResult`.

    ``on_iteration(loss)`` is called after each iteration with the loss per
    model; it returns True to ask the solver to stop early. ``config`` holds
    the factory's name and arguments (see `mlplab.optim.config`).
    """

    name = "solver"
    config: dict[str, Any] | None = None

    def minimize(self, objective: Any, max_iterations: int,
                 on_iteration: Callable[[Any], bool]) -> SolveResult:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The config as plain data; raises ValueError for what cannot be written down."""
        from mlplab.optim.config import checked_config

        return checked_config(self.config, "solver")
