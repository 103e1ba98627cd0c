"""LearningRateScheduler: scale the learning rate by a function of the epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlplab.callbacks.base import Callback
from mlplab.optim.base import per_model

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class LearningRateScheduler(Callback):
    """Multiply every update by ``schedule(epoch)`` (a float, or one value per model).

    Every mlplab optimizer applies its learning rate as the last factor of the
    update, so scaling the update is scaling the learning rate: with
    ``sgd(0.1)`` and ``schedule = lambda epoch: 0.5 ** (epoch // 10)`` the step
    size halves every 10 epochs. Any schedule from `mlplab.optim.schedules`
    evaluated at the epoch works too. ``factors`` records the factor per epoch.
    """

    def __init__(self, schedule: Callable[[int], Any]) -> None:
        if not callable(schedule):
            raise TypeError("The 'schedule' parameter of LearningRateScheduler must be a "
                            f"callable epoch -> factor. Got {schedule!r} instead.")
        self.schedule = schedule
        self.factors: list[Any] = []

    def on_train_begin(self, state: TrainingState) -> None:
        self._epoch = -1

    def on_before_update(self, state: TrainingState) -> None:
        if state.epoch != self._epoch:
            self._epoch = state.epoch
            self._factor = self.schedule(state.epoch)
            self.factors.append(self._factor)
        state.updates = [per_model(self._factor, u) * u for u in state.updates]
