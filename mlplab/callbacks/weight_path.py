"""WeightPath: the values a few chosen weights take during training."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int
from mlplab.callbacks.base import Callback
from mlplab.callbacks.config import plain, to_numpy
from mlplab.surface import WeightRef, weight_ref

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class WeightPath(Callback):
    """Record chosen weights before training and after every `every`-th step (and the last).

    weights: names as for `mlplab.surface.weight_ref`, e.g. ``[(0, "W", 0, 0),
    (2, "W", 1, 0)]``. Afterwards ``values`` is (n_records, *population, k),
    ``iterations`` the steps taken at each record (0: the initial weights),
    and ``refs`` the resolved weights. Feed ``values`` to
    `mlplab.surface.error_surface` as its ``path`` to draw the path on the surface.
    Records stay in the model's namespace until ``values`` is read.
    """

    def __init__(self, weights: Sequence[Any], *, every: int = 1) -> None:
        self.weights = list(weights)
        self.every = check_int("every", "WeightPath", every, low=1)

    def get_config(self) -> dict[str, Any]:
        weights = [[w.param, list(w.index)] if isinstance(w, WeightRef) else w
                   for w in self.weights]
        return {"type": type(self).__name__,
                "weights": plain("weights", "WeightPath", weights), "every": self.every}

    def on_train_begin(self, state: TrainingState) -> None:
        self.refs = [weight_ref(state.model, spec, owner="WeightPath") for spec in self.weights]
        self._xp = state.params.backend.xp
        self.iterations: list[int] = []
        self._values: list[Any] = []
        self._record(state, 0)

    def on_step_end(self, state: TrainingState) -> None:
        steps = state.iteration + 1  # the loop counts this step after its step_end hooks
        if steps % self.every == 0:
            self._record(state, steps)

    def on_train_end(self, state: TrainingState) -> None:
        if self.iterations[-1] != state.iteration:
            self._record(state, state.iteration)

    def _record(self, state: TrainingState, steps: int) -> None:
        params = state.params
        self._values.append(self._xp.stack([params[r.param][(..., *r.index)]
                                            for r in self.refs], axis=-1))
        self.iterations.append(steps)

    @property
    def values(self) -> np.ndarray:
        """(n_records, *population, k): the weights' values at each record, as NumPy."""
        return np.array([to_numpy(v) for v in self._values])
