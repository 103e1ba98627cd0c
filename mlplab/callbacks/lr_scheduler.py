"""LearningRateScheduler: scale the learning rate by a function of the epoch."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks.base import Callback, config_arguments
from mlplab.callbacks.config import plain, to_numpy

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "LearningRateScheduler"


class LearningRateScheduler(Callback):
    """Multiply every update by ``schedule(epoch)`` (a float, or one value per model).

    Every mlplab optimizer applies its learning rate as the last factor of the
    update, so scaling the update is scaling the learning rate: with
    ``sgd(0.1)`` and ``schedule = lambda epoch: 0.5 ** (epoch // 10)`` the step
    size halves every 10 epochs. Any schedule from `mlplab.optim.schedules`
    evaluated at the epoch works too. ``factors`` records the factor per epoch.
    A config holds the schedule's own config, so only a schedule with
    ``get_config`` (not a lambda) can be written down.
    """

    def __init__(self, schedule: Callable[[int], Any]) -> None:
        if not callable(schedule):
            raise TypeError(f"The 'schedule' parameter of {OWNER} must be a "
                            f"callable epoch -> factor. Got {schedule!r} instead.")
        self.schedule = schedule
        self.factors: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        to_config = getattr(self.schedule, "get_config", None)
        if to_config is None:
            raise invalid("schedule", OWNER, "a schedule with get_config (a function such "
                          "as a lambda cannot be written into a config)", self.schedule)
        return {"type": type(self).__name__, "schedule": plain("schedule", OWNER, to_config())}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateScheduler:
        arguments = config_arguments(cls, config)
        if isinstance(arguments.get("schedule"), dict):
            arguments["schedule"] = _schedule_from_config(arguments["schedule"])
        return cls(**arguments)

    def on_train_begin(self, state: TrainingState) -> None:
        self._epoch = -1
        self._backend = state.params.backend

    def on_before_update(self, state: TrainingState) -> None:
        if state.epoch != self._epoch:
            self._epoch = state.epoch
            self._factor = self.schedule(state.epoch)
            self.factors.append(self._factor)
            self._scales = [self._scale(u) for u in state.updates]  # made once an epoch
        state.updates = [s * u for s, u in zip(self._scales, state.updates, strict=True)]

    def _scale(self, like: Any) -> Any:
        """The epoch's factor for one update array: a float, or (*population, 1, ...)."""
        factor = np.asarray(to_numpy(self._factor))
        if factor.ndim == 0:
            return float(factor)  # a Python float keeps the update's dtype on every namespace
        scale = self._backend.asarray(factor, dtype=like.dtype)
        return self._backend.xp.reshape(scale, factor.shape + (1,) * (like.ndim - factor.ndim))


def _schedule_from_config(config: dict[str, Any]) -> Any:
    """The schedule a schedule's config describes (see `mlplab.optim.config`)."""
    from mlplab.optim.config import optimizer_from_config
    from mlplab.optim.registry import SCHEDULES

    name = config.get("name") if isinstance(config, dict) else config
    SCHEDULES.canonical(name, owner=f"{OWNER}.from_config", parameter="schedule")
    return optimizer_from_config(config)
