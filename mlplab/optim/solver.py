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


class Divergence(NamedTuple):
    """A model whose loss was not finite: its population index (0 for a single model),
    the iterations it had taken with a finite loss (0: at its starting weights), the loss."""

    member: int
    iteration: int
    loss: float


class SolveResult(NamedTuple):
    """How a solver finished: iterations taken, why it stopped (one entry per model), and
    the models whose loss was not finite."""

    iterations: int
    stop_reason: list[str]
    diverged: tuple[Divergence, ...] = ()


class Solver:
    """Base class: `minimize(objective, max_iterations, on_iteration) -> SolveResult`.

    ``on_iteration(loss)`` is called after each iteration with the loss per
    model; it returns True to ask the solver to stop early. ``config`` holds
    the factory's name and arguments (see `mlplab.optim.config`).

    Divergence, as the guard of gradient steps sees it: a solver checks the
    loss at the starting weights before its first iteration, and the loss of
    every iterate it reports. A model whose loss is NaN or infinite stops
    there, left at its last finite point (its starting weights when the first
    loss already was not finite); it is listed in ``diverged`` with a
    stop_reason from `diverged_reason`, and its non-finite loss is never
    reported. `fit` turns that into `DivergenceError`, or with ``guard=False``
    leaves it in ``history.stop_reason``.
    """

    name = "solver"
    config: dict[str, Any] | None = None
    # True for a solver that runs a population's members one after another and reports
    # their losses afterwards: the model then holds the final weights while the iterations
    # are reported, so nothing can be computed from the weights of an iteration.
    replays_population = False

    def minimize(self, objective: Any, max_iterations: int,
                 on_iteration: Callable[[Any], bool]) -> SolveResult:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """The config as plain data; raises ValueError for what cannot be written down."""
        from mlplab.optim.config import checked_config

        return checked_config(self.config, "solver")


def diverged_reason(divergence: Divergence) -> str:
    """The stop_reason of a model that stopped on a loss that was not finite."""
    if divergence.iteration == 0:
        return (f"stopped: the loss at the starting weights is {divergence.loss}, so no "
                "iteration was taken")
    return (f"stopped: the loss became {divergence.loss} at iteration {divergence.iteration}; "
            "the weights of the last finite iterate were kept")
