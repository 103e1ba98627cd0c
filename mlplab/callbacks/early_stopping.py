"""EarlyStopping: stop when a monitored value stops improving, keeping the best weights."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlplab._checks import check_choice, check_int, check_number, invalid
from mlplab.callbacks.base import Callback

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class EarlyStopping(Callback):
    """Stop training once `monitor` has not improved for `patience` epochs.

    monitor: a History name, e.g. "val_loss" (needs validation data) or "loss".
    mode: "min", "max", or "auto" (max for names containing "accuracy").
    min_delta: the least change that counts as an improvement.
    restore_best_weights: at the end, put back the weights of the best epoch.

    Populations are watched per model: each member's best epoch and weights
    are its own, and training stops when every member has run out of patience.
    Afterwards ``best_epoch`` and ``best`` hold the best epoch and value (per
    model), and ``stopped_epoch`` the epoch training stopped at (or None).
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 10,
                 min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = True) -> None:
        self.monitor = monitor
        self.patience = check_int("patience", "EarlyStopping", patience, low=0)
        self.min_delta = check_number("min_delta", "EarlyStopping", min_delta, low=0.0,
                                      low_open=False)
        mode = check_choice("mode", "EarlyStopping", mode, ("auto", "min", "max"))
        self.sign = -1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else 1.0
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, state: TrainingState) -> None:
        self.best = np.full(state.model.population, np.inf)
        self.best_epoch = np.zeros(state.model.population, dtype=np.int64)
        self.wait = np.zeros(state.model.population, dtype=np.int64)
        self.best_weights = state.model.get_weights()
        self.best_buffers = state.model.get_buffers()  # running statistics go with the weights
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.monitor not in state.history:
            raise invalid("monitor", "EarlyStopping", "a value the History records, one of "
                          f"{sorted(state.history.history)}", self.monitor)
        value = self.sign * np.asarray(state.history.history[self.monitor][-1], dtype=float)
        improved = value < self.best - self.min_delta
        self.best = np.where(improved, value, self.best)
        self.best_epoch = np.where(improved, state.epoch, self.best_epoch)
        self.wait = np.where(improved, 0, self.wait + 1)
        saved = (*self.best_weights, *self.best_buffers)
        for best, current in zip(saved, (*state.params, *state.model.buffers), strict=True):
            best[improved] = current[improved]  # a boolean over the population axes
        if np.all((self.wait >= self.patience) & (self.wait > 0)):
            state.stop_training = True
            self.stopped_epoch = state.epoch

    def on_train_end(self, state: TrainingState) -> None:
        self.best = self.sign * self.best
        if self.restore_best_weights:
            state.model.set_weights(self.best_weights)
            state.model.set_buffers(self.best_buffers)
