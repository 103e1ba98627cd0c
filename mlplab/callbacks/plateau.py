"""ReducePlateau: tell a `reduce_lr_on_plateau` rate the monitored value after every epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks.base import Callback, config_arguments

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "ReducePlateau"


class ReducePlateau(Callback):
    """Feed `rate.observe(history[monitor][-1])` at the end of every epoch.

    rate: the `mlplab.optim.reduce_lr_on_plateau` object given as the optimizer's
    alpha; monitor: a History name ("val_loss" needs validation data). The rate's
    state is this callback's state, so a checkpoint resumes the rule where it was.

        rate = reduce_lr_on_plateau(0.1, patience=2)
        fit(net, X, y, optimizer=sgd(rate), validation_split=0.2, epochs=50,
            callbacks=[ReducePlateau(rate)])
    """

    def __init__(self, rate: Any, monitor: str = "val_loss") -> None:
        if not callable(getattr(rate, "observe", None)):
            raise invalid("rate", OWNER, "a reduce_lr_on_plateau(...) rate (it has observe)",
                          rate)
        if not isinstance(monitor, str):
            raise invalid("monitor", OWNER, "a History name such as 'val_loss'", monitor)
        self.rate, self.monitor = rate, monitor

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "rate": self.rate.get_config(),
                "monitor": self.monitor}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ReducePlateau:
        from mlplab.optim.config import optimizer_from_config  # callbacks sit above optim

        arguments = config_arguments(cls, config)
        arguments["rate"] = optimizer_from_config(arguments["rate"])
        return cls(**arguments)

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.monitor not in state.history:
            raise invalid("monitor", OWNER, "a value the History records, one of "
                          f"{sorted(state.history.history)}", self.monitor)
        self.rate.observe(state.history.last(self.monitor))

    def get_state(self) -> dict[str, Any]:
        return {key: np.asarray(value) for key, value in self.rate.get_state().items()}

    def set_state(self, state: dict[str, Any]) -> None:
        self.rate.set_state({key: np.asarray(value).tolist() for key, value in state.items()})
