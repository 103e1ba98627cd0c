"""TrainingDynamics: per-parameter gradient norms and update-to-weight ratios over training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int
from mlplab.callbacks.base import Callback
from mlplab.callbacks.config import to_numpy
from mlplab.diagnostics import param_labels

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class TrainingDynamics(Callback):
    """Record ||grad|| and ||update|| / ||weights|| for every parameter array every `every` steps.

    Norms are Frobenius norms of one model's array, taken per model for a
    population; the weights are those the update is about to change. A ratio
    around 1e-3 is the usual rule of thumb for a healthy step size; a zero
    weight array (a fresh bias) gives a ratio of NaN.
    Afterwards ``names`` holds "layer 0 W", "layer 0 b", ... (see
    `mlplab.diagnostics.param_labels`), ``iterations`` the step of each record,
    and ``grad_norms[name]`` and ``update_ratios[name]`` arrays of shape
    (n_records, *population). Place it after callbacks that change the updates
    (a learning-rate schedule) to see the updates actually applied. Gradient
    steps only: full-batch solvers (BFGS, L-BFGS) take no steps to record.
    The norms are taken in the model's namespace (on its device) and come to
    NumPy only when ``grad_norms`` or ``update_ratios`` is read.
    """

    def __init__(self, *, every: int = 1) -> None:
        self.every = check_int("every", "TrainingDynamics", every, low=1)

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "every": self.every}

    def on_train_begin(self, state: TrainingState) -> None:
        self.names = param_labels(state.model)
        self._pop_ndim = len(state.params.population)
        self._xp = state.params.backend.xp
        self.iterations: list[int] = []
        self._grad_norms: list[list[Any]] = []
        self._update_ratios: list[list[Any]] = []

    def on_before_update(self, state: TrainingState) -> None:
        if state.iteration % self.every:
            return
        norm = self._norm
        self.iterations.append(state.iteration)
        self._grad_norms.append([norm(g) for g in state.grads])
        self._update_ratios.append([self._ratio(norm(u), norm(p))
                                    for u, p in zip(state.updates, state.params, strict=True)])

    def _norm(self, a: Any) -> Any:
        """The Frobenius norm of each model's array: shape (*population,), in its namespace."""
        xp = self._xp
        return xp.sqrt(xp.sum(a * a, axis=tuple(range(self._pop_ndim, a.ndim))))

    def _ratio(self, update_norm: Any, weight_norm: Any) -> Any:
        """||update|| / ||weights||, NaN where the weights are all zero (never dividing by 0)."""
        xp = self._xp
        scaled = weight_norm > 0
        ratio = update_norm / xp.where(scaled, weight_norm, xp.ones_like(weight_norm))
        return xp.where(scaled, ratio, xp.full_like(ratio, float("nan")))

    @property
    def grad_norms(self) -> dict[str, np.ndarray]:
        """||grad|| per parameter array: name -> (n_records, *population)."""
        return _by_name(self.names, self._grad_norms)

    @property
    def update_ratios(self) -> dict[str, np.ndarray]:
        """||update|| / ||weights|| per parameter array: name -> (n_records, *population)."""
        return _by_name(self.names, self._update_ratios)


def _by_name(names: list[str], records: list[list[Any]]) -> dict[str, np.ndarray]:
    """Records (any namespace, one list per step) as NumPy columns by parameter name."""
    columns = zip(*records, strict=True) if records else [[] for _ in names]
    return {name: np.array([to_numpy(value) for value in column])
            for name, column in zip(names, columns, strict=True)}
