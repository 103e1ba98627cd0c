"""Simulated annealing: gradient-free search with Metropolis acceptance and cooling.

Each iteration perturbs every weight by Gaussian noise of scale `step_size`
and evaluates the full-batch loss L' at the proposal. The proposal is
accepted with probability min(1, exp(-(L' - L) / T)) (Metropolis et al.,
1953), so downhill moves are always taken and uphill ones less often as the
temperature T cools geometrically, T_k = temperature * cooling**k (Kirkpatrick,
Gelatt & Vecchi, 1983). The best weights seen are kept at the end.

Every model of a population anneals independently, with its own draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab._checks import check_number
from mlplab.optim.solver import Solver, SolveResult


class SimulatedAnnealing(Solver):
    """Simulated annealing as a solver for `fit(iterations=...)`.

    temperature: T_0 > 0, in units of the loss; cooling: factor in (0, 1] per
    iteration; step_size: standard deviation of the proposal noise; seed: the
    solver's own random stream (an int, None or a numpy Generator).
    """

    name = "annealing"

    def __init__(self, *, temperature: float = 1.0, cooling: float = 0.995,
                 step_size: float = 0.1, seed: Any = None) -> None:
        self.temperature = check_number("temperature", "annealing", temperature)
        self.cooling = check_number("cooling", "annealing", cooling, high=1.0)
        self.step_size = check_number("step_size", "annealing", step_size)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def minimize(self, objective: Any, max_iterations: int,
                 on_iteration: Callable[[Any], bool]) -> SolveResult:
        params = objective.model.params
        current = [p.copy() for p in params]
        loss = np.asarray(objective.value(), dtype=float)
        best, best_loss = [p.copy() for p in params], loss.copy()
        temperature, iteration = self.temperature, 0
        while iteration < max_iterations:
            for p, c in zip(params, current, strict=True):
                p[...] = c + self.step_size * self.rng.standard_normal(p.shape)
            proposal = np.asarray(objective.value(), dtype=float)
            accept = self._metropolis(loss, proposal, temperature)
            _take(current, params, accept)
            loss = np.where(accept, proposal, loss)
            improved = loss < best_loss
            _take(best, current, improved)
            best_loss = np.where(improved, loss, best_loss)
            temperature *= self.cooling
            iteration += 1
            if on_iteration(loss):
                break
        for p, b in zip(params, best, strict=True):
            p[...] = b
        return SolveResult(iteration, ["stopped by a callback" if iteration < max_iterations
                                       else "reached the iteration limit"])

    def _metropolis(self, loss: np.ndarray, proposal: np.ndarray,
                    temperature: float) -> np.ndarray:
        """Accept downhill always, uphill with probability exp(-(rise) / T); NaN never."""
        rise = np.nan_to_num(proposal - loss, nan=np.inf)
        with np.errstate(over="ignore"):
            return self.rng.random(np.shape(loss)) < np.exp(-np.maximum(rise, 0) / temperature)


def _take(target: list[np.ndarray], source: list[np.ndarray], which: np.ndarray) -> None:
    """Copy `source` into `target` for the models where `which` is True (all, for one model)."""
    for t, s in zip(target, source, strict=True):
        t[which] = s[which]


def simulated_annealing(*, temperature: float = 1.0, cooling: float = 0.995,
                        step_size: float = 0.1, seed: Any = None) -> SimulatedAnnealing:
    """Simulated annealing with Metropolis acceptance; see `SimulatedAnnealing`."""
    return SimulatedAnnealing(temperature=temperature, cooling=cooling, step_size=step_size,
                              seed=seed)
