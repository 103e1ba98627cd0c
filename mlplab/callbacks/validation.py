"""Validation: the loss and metrics on held-out data at the end of every epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mlplab.callbacks.base import Callback
from mlplab.losses import Loss
from mlplab.metrics import Metric, metric_name
from mlplab.objective import evaluate

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class Validation(Callback):
    """Records "val_loss" and "val_<metric>" in the History after each epoch.

    X: (n_val, n_inputs), y: (n_val, n_outputs), both already checked; the
    model runs in predict mode (no dropout, running batch-norm statistics).
    `fit` adds this first when given validation data, so callbacks after it
    (early stopping) see the epoch's validation values.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, loss: Loss,
                 metrics: Sequence[str | Metric] = ()) -> None:
        self.X, self.y, self.loss, self.metrics = X, y, loss, list(metrics)
        self.names = ["val_loss", *(f"val_{metric_name(m)}" for m in self.metrics)]

    def on_epoch_end(self, state: TrainingState) -> None:
        results = evaluate(state.model, self.X, self.y, self.loss, self.metrics)
        for name, value in zip(self.names, results.values(), strict=True):
            state.history.column(name).append(value)
