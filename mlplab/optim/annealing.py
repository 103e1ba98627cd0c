"""Simulated annealing: gradient-free search with Metropolis acceptance and cooling.

Each iteration perturbs every weight by Gaussian noise of scale `step_size`
and evaluates the full-batch loss L' at the proposal. The proposal is
accepted with probability min(1, exp(-(L' - L) / T)) (Metropolis et al.,
1953), so downhill moves are always taken and uphill ones less often as the
temperature T cools geometrically, T_k = temperature * cooling**k (Kirkpatrick,
Gelatt & Vecchi, 1983). The best weights seen are kept at the end.

Every model of a population anneals independently, from its own random
stream: ``seed`` may list one seed per model, and a single seed spawns one
child stream per model (`numpy.random.SeedSequence.spawn`). A member whose
seed is s therefore draws exactly what a single model seeded with s draws,
and its run equals that separate run bit for bit when the objective gives it
the same losses. The draws are made on the host with NumPy and moved to the
parameters' array backend, so a seed gives the same search on every backend;
the acceptance test runs on the host in Python floats, one model at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.backend import to_numpy
from mlplab.optim._lift import members
from mlplab.optim.config import checked_config, config_of
from mlplab.optim.registry import register_solver
from mlplab.optim.solver import Divergence, Solver, SolveResult, diverged_reason
from mlplab.params import backend_of_params

SEEDS = "an int >= 0, None, a numpy Generator, or a list of them (one per model)"


class SimulatedAnnealing(Solver):
    """Simulated annealing as a solver for `fit(iterations=...)`.

    temperature: T_0 > 0, in units of the loss; cooling: factor in (0, 1] per
    iteration; step_size: standard deviation of the proposal noise; seed: an
    int, None or a numpy Generator, or a list of them, one per model of a
    population. An int or None is turned into streams afresh at each
    `minimize`, so a solver reused for two fits searches the same way twice;
    a Generator goes on where it stopped.
    """

    name = "annealing"

    def __init__(self, *, temperature: float = 1.0, cooling: float = 0.995,
                 step_size: float = 0.1, seed: Any = None) -> None:
        self.temperature = check_number("temperature", "annealing", temperature)
        self.cooling = check_number("cooling", "annealing", cooling, high=1.0)
        self.step_size = check_number("step_size", "annealing", step_size)
        self.seed = _check_seed(seed)
        self.config = config_of("annealing", temperature=self.temperature,
                                cooling=self.cooling, step_size=self.step_size, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        """The config; a Generator seed cannot be written down (its state is not a seed)."""
        seeds = self.seed if isinstance(self.seed, list) else [self.seed]
        if any(isinstance(s, np.random.Generator) for s in seeds):
            raise invalid("seed", "annealing", "an int, None or a list of them to be written "
                          "as config (a Generator's stream cannot be)", self.seed)
        return checked_config(self.config, "solver")

    def streams(self, population: tuple[int, ...]) -> list[np.random.Generator]:
        """One generator per model, in the order of `members(population)`."""
        count = math.prod(population)
        if isinstance(self.seed, list):
            if len(self.seed) != count:
                raise invalid("seed", "annealing", f"one seed per model ({count})",
                              f"{len(self.seed)} seeds", raw=True)
            return [np.random.default_rng(s) for s in self.seed]
        if not population:
            return [np.random.default_rng(self.seed)]
        if isinstance(self.seed, np.random.Generator):
            return self.seed.spawn(count)
        return [np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(count)]

    def minimize(self, objective: Any, max_iterations: int,
                 on_iteration: Callable[[Any], bool]) -> SolveResult:
        params = objective.model.params
        backend, population = backend_of_params(params), tuple(params.population)
        indices = [(*k, ...) for k in members(population)]
        streams = self.streams(population)
        current = [backend.xp.asarray(p, copy=True) for p in params]
        best = [backend.xp.asarray(p, copy=True) for p in params]
        loss = _losses(objective, population)
        # A model whose loss at its starting weights is not finite takes no step (the guard's
        # rule); once finite, the loss stays so, as `accept` refuses every non-finite proposal.
        diverged = [Divergence(k, 0, float(loss[index])) for k, index in enumerate(indices)
                    if not math.isfinite(loss[index])]
        searching = [k for k in range(len(indices)) if math.isfinite(loss[indices[k]])]
        reported = np.where(np.isfinite(loss), loss, np.nan)  # NaN: a model with no finite loss
        best_loss, temperature, iteration = loss.copy(), self.temperature, 0
        while iteration < max_iterations and searching:
            for p, c in zip(params, current, strict=True):
                noise = _draw(streams, p.shape[len(population):], population)
                p[...] = c + backend.asarray(self.step_size * noise, dtype=p.dtype)
            proposal = _losses(objective, population)
            for k in searching:
                index = indices[k]
                if accept(proposal[index] - loss[index], temperature, streams[k].random()):
                    _copy(current, params, index)
                    loss[index] = reported[index] = proposal[index]
                if loss[index] < best_loss[index]:
                    _copy(best, current, index)
                    best_loss[index] = loss[index]
            temperature *= self.cooling
            iteration += 1
            if on_iteration(reported.copy()):
                break
        for p, b in zip(params, best, strict=True):
            p[...] = b
        ended = "stopped by a callback" if iteration < max_iterations else (
            "reached the iteration limit")
        reasons = {d.member: diverged_reason(d) for d in diverged}
        return SolveResult(iteration, [reasons.get(k, ended) for k in range(len(indices))],
                           tuple(diverged))


def accept(rise: float, temperature: float, uniform: float) -> bool:
    """Metropolis: downhill always, uphill with probability exp(-rise / T); NaN never.

    rise = L' - L of one model; uniform: its draw from U[0, 1).
    """
    if math.isnan(rise):
        return False
    return uniform < math.exp(-max(rise, 0.0) / temperature)


def _draw(streams: list[np.random.Generator], shape: tuple[int, ...],
          population: tuple[int, ...]) -> np.ndarray:
    """Standard normal noise of one parameter, each model's slice from its own stream."""
    if not population:
        return streams[0].standard_normal(shape)
    return np.stack([rng.standard_normal(shape) for rng in streams]).reshape(population + shape)


def _losses(objective: Any, population: tuple[int, ...]) -> np.ndarray:
    """The full-batch loss per model, on the host, as float64 (shape population)."""
    return np.array(to_numpy(objective.value()), dtype=np.float64).reshape(population)


def _copy(target: list[Any], source: list[Any], index: tuple[Any, ...]) -> None:
    """Copy one model's slice (`index`) of every source array into the target arrays."""
    for t, s in zip(target, source, strict=True):
        t[index] = s[index]


def _check_seed(seed: Any) -> Any:
    if isinstance(seed, Sequence) and not isinstance(seed, str):
        return [_check_one_seed(s) for s in seed]
    if isinstance(seed, np.ndarray) and seed.ndim == 1:
        return [_check_one_seed(s) for s in seed.tolist()]
    return _check_one_seed(seed)


def _check_one_seed(seed: Any) -> Any:
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        return int(seed)
    raise invalid("seed", "annealing", SEEDS, seed)


def simulated_annealing(*, temperature: float = 1.0, cooling: float = 0.995,
                        step_size: float = 0.1, seed: Any = None) -> SimulatedAnnealing:
    """Simulated annealing with Metropolis acceptance; see `SimulatedAnnealing`."""
    return SimulatedAnnealing(temperature=temperature, cooling=cooling, step_size=step_size,
                              seed=seed)


register_solver("annealing", simulated_annealing, aliases=("simulated_annealing",))
