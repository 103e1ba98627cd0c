"""BFGS and L-BFGS: full-batch quasi-Newton solvers through `scipy.optimize.minimize`.

The model's parameters are flattened into one float64 vector per model and
SciPy runs the method on the full-batch loss with its exact gradient. Each
model of a population gets its own run: one joint run would share a single
curvature estimate across models that have nothing to do with each other.
A member's run sees exactly its own numbers, so it equals the member's
separate run bit for bit whenever the objective gives a member the same loss
and gradients as a single model.

SciPy works on NumPy, by design: whatever the model's array backend, the
parameters and gradients cross to the host at this boundary
(`mlplab.backend.to_numpy`, then float64) and SciPy's iterates go back with
``params.backend.asarray`` in the parameters' dtype.

BFGS: Broyden, Fletcher, Goldfarb and Shanno (1970); L-BFGS: Liu & Nocedal
(1989), SciPy's L-BFGS-B without bounds. Both keep an approximation H of the
inverse Hessian and step along -H g with a line search (Nocedal & Wright,
Numerical Optimization, ch. 6-7).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import check_int, check_number
from mlplab.backend import to_numpy
from mlplab.optim.config import config_of
from mlplab.optim.registry import register_solver
from mlplab.optim.solver import Divergence, Solver, SolveResult, diverged_reason
from mlplab.params import backend_of_params


class ScipyQuasiNewton(Solver):
    """One of SciPy's gradient-based methods ("BFGS", "L-BFGS-B") as a solver for `fit`.

    gtol: stop when the largest gradient entry falls below it.
    history_size: L-BFGS's number of stored correction pairs (ignored by BFGS).
    """

    replays_population = True  # each member's SciPy run in turn, reported after (_replay)

    def __init__(self, method: str, *, gtol: float = 1e-6, history_size: int = 10) -> None:
        self.name = {"BFGS": "bfgs", "L-BFGS-B": "lbfgs"}[method]
        self.method = method
        self.gtol = check_number("gtol", self.name, gtol)
        self.history_size = check_int("history_size", self.name, history_size, low=1)
        options = {"history_size": self.history_size} if method == "L-BFGS-B" else {}
        self.config = config_of(self.name, gtol=self.gtol, **options)

    def minimize(self, objective: Any, max_iterations: int,
                 on_iteration: Callable[[Any], bool]) -> SolveResult:
        population = objective.model.params.population
        if not population:
            run = self._run(objective, None, max_iterations, on_iteration)
            return SolveResult(run.iterations, [run.reason], _diverged([run]))
        traces: list[list[float]] = []
        runs = [self._run(objective, k, max_iterations, _recorder(traces))
                for k in range(population[0])]
        _replay(traces, on_iteration)
        return SolveResult(max(r.iterations for r in runs), [r.reason for r in runs],
                           _diverged(runs))

    def _run(self, objective: Any, member: int | None, max_iterations: int,
             on_iteration: Callable[[Any], bool]) -> _Run:
        """One model's SciPy run, stopped (at its last finite iterate) on a non-finite loss."""
        params = objective.model.params
        last = [_flatten(params, member)]  # the last finite iterate: the start, to begin with
        iterations, evaluations = [0], [0]

        def loss_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
            _unflatten(x, params, member)
            value, grads = objective.value_and_grads()
            loss = _member_loss(value, member)
            evaluations[0] += 1
            if evaluations[0] == 1 and not math.isfinite(loss):  # SciPy starts at the start
                raise _LossNotFiniteError(loss)
            return loss, _flatten(grads, member)

        def after_iteration(intermediate_result: Any) -> None:
            if not math.isfinite(intermediate_result.fun):
                raise _LossNotFiniteError(float(intermediate_result.fun))
            last[0], iterations[0] = np.array(intermediate_result.x), iterations[0] + 1
            if on_iteration(intermediate_result.fun):
                raise StopIteration

        from scipy.optimize import minimize  # imported on use: it costs a third of a second

        options = {"maxiter": max_iterations, "gtol": self.gtol}
        if self.method == "L-BFGS-B":
            options["maxcor"] = self.history_size
        try:
            result = minimize(loss_and_gradient, last[0], jac=True, method=self.method,
                              options=options, callback=after_iteration)
        except _LossNotFiniteError as stop:
            return self._stopped(params, member, last[0], iterations[0], stop.loss)
        if not math.isfinite(result.fun):  # SciPy gave up on a point whose loss is not finite
            return self._stopped(params, member, last[0], iterations[0], float(result.fun))
        _unflatten(result.x, params, member)
        return _Run(result.nit, str(result.message))

    @staticmethod
    def _stopped(params: Any, member: int | None, x: np.ndarray, iterations: int,
                 loss: float) -> _Run:
        _unflatten(x, params, member)
        divergence = Divergence(member or 0, iterations, loss)
        return _Run(iterations, diverged_reason(divergence), divergence)


class _Run(NamedTuple):
    """One model's run: iterations taken, SciPy's message (or ours), its divergence if any."""

    iterations: int
    reason: str
    divergence: Divergence | None = None


class _LossNotFiniteError(Exception):
    """Raised inside SciPy's loop to stop it on a loss that is not finite."""

    def __init__(self, loss: float) -> None:
        super().__init__(loss)
        self.loss = loss


def _diverged(runs: list[_Run]) -> tuple[Divergence, ...]:
    return tuple(r.divergence for r in runs if r.divergence is not None)


def bfgs(*, gtol: float = 1e-6) -> ScipyQuasiNewton:
    """Full-batch BFGS (scipy.optimize.minimize(method="BFGS")); use with `fit(iterations=...)`."""
    return ScipyQuasiNewton("BFGS", gtol=gtol)


def lbfgs(*, gtol: float = 1e-6, history_size: int = 10) -> ScipyQuasiNewton:
    """Full-batch L-BFGS (SciPy's L-BFGS-B, no bounds) with `history_size` correction pairs."""
    return ScipyQuasiNewton("L-BFGS-B", gtol=gtol, history_size=history_size)


def _index(member: int | None) -> tuple[Any, ...]:
    """The index of one model's slice of a parameter (all of it for a single model)."""
    return (...,) if member is None else (member, ...)


def _member_loss(value: Any, member: int | None) -> float:
    value = to_numpy(value)
    return float(value if member is None else value[member])


def _flatten(arrays: list[Any], member: int | None) -> np.ndarray:
    """One model's arrays as one float64 NumPy vector (the host side of the boundary)."""
    index = _index(member)
    return np.concatenate([np.ravel(to_numpy(a[index])) for a in arrays]).astype(np.float64)


def _unflatten(x: np.ndarray, params: Any, member: int | None) -> None:
    """Write a flat vector back into one model's parameter arrays, in place, on their backend."""
    backend, index, start = backend_of_params(params), _index(member), 0
    for p in params:
        shape = p.shape if member is None else p.shape[1:]
        size = int(np.prod(shape))
        p[index] = backend.asarray(x[start:start + size].reshape(shape), dtype=p.dtype)
        start += size


def _recorder(traces: list[list[float]]) -> Callable[[Any], bool]:
    """An on_iteration that keeps one list of losses per run, starting a new list per run."""
    traces.append([])

    def record(loss: Any) -> bool:
        traces[-1].append(float(loss))
        return False

    return record


def _replay(traces: list[list[float]], on_iteration: Callable[[Any], bool]) -> None:
    """Report a population's runs per iteration; a finished run repeats its last loss."""
    for i in range(max((len(t) for t in traces), default=0)):
        losses = np.array([t[min(i, len(t) - 1)] if t else np.nan for t in traces])
        if on_iteration(losses):
            break


register_solver("bfgs", bfgs)
register_solver("lbfgs", lbfgs, aliases=("l-bfgs",))
