"""TrainingDynamics: per-parameter gradient norms and update-to-weight ratios over training."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlplab._checks import check_int
from mlplab.callbacks.base import Callback
from mlplab.diagnostics import param_labels
from mlplab.optim.base import per_model_sum

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
    """

    def __init__(self, *, every: int = 1) -> None:
        self.every = check_int("every", "TrainingDynamics", every, low=1)

    def on_train_begin(self, state: TrainingState) -> None:
        self.names = param_labels(state.model)
        self._pop_ndim = len(state.model.population)
        self.iterations: list[int] = []
        self._grad_norms: list[list[np.ndarray]] = []
        self._update_ratios: list[list[np.ndarray]] = []

    def on_before_update(self, state: TrainingState) -> None:
        if state.iteration % self.every:
            return
        norm = self._norm
        self.iterations.append(state.iteration)
        self._grad_norms.append([norm(g) for g in state.grads])
        with np.errstate(divide="ignore", invalid="ignore"):
            self._update_ratios.append([np.where(norm(p) > 0, norm(u) / norm(p), np.nan)
                                        for u, p in zip(state.updates, state.params,
                                                        strict=True)])

    def _norm(self, a: np.ndarray) -> np.ndarray:
        """The Frobenius norm of each model's array: shape (*population,)."""
        return np.sqrt(per_model_sum(a * a, self._pop_ndim))

    @property
    def grad_norms(self) -> dict[str, np.ndarray]:
        """||grad|| per parameter array: name -> (n_records, *population)."""
        return _by_name(self.names, self._grad_norms)

    @property
    def update_ratios(self) -> dict[str, np.ndarray]:
        """||update|| / ||weights|| per parameter array: name -> (n_records, *population)."""
        return _by_name(self.names, self._update_ratios)


def _by_name(names: list[str], records: list[list[np.ndarray]]) -> dict[str, np.ndarray]:
    columns = zip(*records, strict=True) if records else [[] for _ in names]
    return {name: np.array(column) for name, column in zip(names, columns, strict=True)}
