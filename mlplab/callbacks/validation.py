"""Validation: the loss and metrics on held-out data at the end of every epoch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab.callbacks.base import Callback, config_arguments
from mlplab.callbacks.config import to_numpy
from mlplab.layers import BatchNorm
from mlplab.losses import LOSSES, Loss, get_loss, loss_from_config
from mlplab.metrics import METRICS, Metric, metric_name
from mlplab.objective import evaluate

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "Validation"


class Validation(Callback):
    """Records "val_loss" and "val_<metric>" in the History after each epoch.

    X: (n_val, n_inputs), y: (n_val, n_outputs), both already checked; the
    model runs in predict mode (no dropout, running batch-norm statistics).
    `fit` adds this first when given validation data, so callbacks after it
    (early stopping) see the epoch's validation values. The values go into the
    History as the model computes them (any namespace); the History brings
    them to NumPy when read. A config holds the data as nested lists with its
    dtype, the loss's name and the metrics' names (user functions cannot be
    written down); it is meant for small held-out sets. sample_weight
    (n_val,), on the model's backend, weighs the loss as in training (see
    `mlplab.losses`); the metrics stay unweighted, over all n_val rows.
    sample_weight (*population, n_val) gives each member of a population its
    own weights: member k's "val_loss" is weighted by row k, and its metrics
    are computed over the rows whose weight is > 0 for it (unweighted), so
    0/1 weights give each member its own validation rows (`mlplab train`'s
    ensembles each watch their own fifth of the data this way). Then, on NumPy,
    each member's rows of weight > 0 are gathered once, (K, m, n_inputs) padded
    with rows of weight 0 to the longest, and the model computes m rows a
    member instead of all n_val: the same values, in a fifth of the work for
    five members watching a fifth each (not for a BatchNorm without running
    statistics, whose predict mode normalizes by the rows it is given).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, loss: Loss,
                 metrics: Sequence[str | Metric] = (), sample_weight: Any = None) -> None:
        self.X, self.y, self.loss, self.metrics = X, y, loss, list(metrics)
        self.sample_weight = sample_weight
        self.names = ["val_loss", *(f"val_{metric_name(m)}" for m in self.metrics)]
        self._data: tuple[Any, Any, Any] | None = None  # what on_epoch_end evaluates

    def get_config(self) -> dict[str, Any]:
        X, y = np.asarray(to_numpy(self.X)), np.asarray(to_numpy(self.y))
        config = {"type": type(self).__name__, "X": X.tolist(), "y": y.tolist(),
                  "dtype": X.dtype.name, "loss": _loss_config(self.loss),
                  "metrics": [_metric_name(m) for m in self.metrics]}
        if self.sample_weight is not None:
            config["sample_weight"] = np.asarray(to_numpy(self.sample_weight)).tolist()
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Validation:
        arguments = config_arguments(cls, config)
        dtype = arguments.pop("dtype", "float64")
        X, y = (np.asarray(arguments.pop(k), dtype=dtype) for k in ("X", "y"))
        if arguments.get("sample_weight") is not None:
            arguments["sample_weight"] = np.asarray(arguments["sample_weight"], dtype=dtype)
        loss = arguments.pop("loss")  # a loss's config, or its name (older configs)
        loss = loss_from_config(loss) if isinstance(loss, dict) else get_loss(
            loss, owner=f"{OWNER}.from_config")
        return cls(X, y, loss,
                   **arguments)

    def on_epoch_end(self, state: TrainingState) -> None:
        if self._data is None:  # batch statistics would change with the rows: not gathered
            batch_stats = any(isinstance(layer, BatchNorm) and not layer.track_running_stats
                              for layer in state.model.layers)
            self._data = ((self.X, self.y, self.sample_weight) if batch_stats else
                          _members_rows(self.X, self.y, self.sample_weight))
        X, y, weights = self._data
        results = evaluate(state.model, X, y, self.loss, self.metrics, sample_weight=weights)
        for name, value in zip(self.names, results.values(), strict=True):
            state.history.column(name).append(value)


def _members_rows(X: Any, y: Any, weights: Any) -> tuple[Any, Any, Any]:
    """(X, y, weights) to evaluate: as given, or for NumPy weights with one population axis
    (K, n), each member's rows of weight > 0 gathered, (K, m, ...), padded to the longest
    member's m with rows of weight 0 (where m is well below n, else as given)."""
    if not (isinstance(weights, np.ndarray) and isinstance(X, np.ndarray) and weights.ndim == 2):
        return X, y, weights
    kept = [np.flatnonzero(row > 0) for row in weights]
    m = max(len(rows) for rows in kept)
    if m == 0 or m > 0.75 * weights.shape[1]:  # little to save
        return X, y, weights
    index = np.stack([np.concatenate([rows, np.full(m - len(rows), rows[0] if len(rows)
                                                     else 0)]) for rows in kept])
    gathered = np.take_along_axis(weights, index, axis=1)
    for k, rows in enumerate(kept):
        gathered[k, len(rows):] = 0.0  # the padding counts for nothing
    return X[index], y[index], gathered


def _loss_config(loss: Loss) -> dict[str, Any]:
    """A built-in loss's config, options included; other losses cannot be written down."""
    LOSSES.name_of(type(loss), owner=OWNER, parameter="loss")
    return loss.get_config()


def _metric_name(metric: str | Metric) -> str:
    """A metric's name, for a built-in metric; functions of the user's cannot be written down."""
    return METRICS.name_of(metric, owner=OWNER, parameter="metrics")
