"""DirectionChanges: how often each weight's update changes sign."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlplab.callbacks.base import Callback

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class DirectionChanges(Callback):
    """Count, for every weight, how often its update changes direction.

    As in the tutorials: from the second iteration on, a weight's count goes
    up by one whenever "this step moves the weight down" (update < 0, the
    tutorials' ``weight_update > 0`` for a gradient they subtract) differs from
    the previous step's. ``counts`` has one integer array per parameter,
    shaped like it (population axes included).
    """

    def on_train_begin(self, state: TrainingState) -> None:
        self.counts = [np.zeros(p.shape, dtype=np.int64) for p in state.model.params]
        self._previous: list[np.ndarray] | None = None

    def on_step_end(self, state: TrainingState) -> None:
        moved_down = [u < 0 for u in state.updates]
        if self._previous is not None:
            for count, now, before in zip(self.counts, moved_down, self._previous, strict=True):
                count += now != before
        self._previous = moved_down
