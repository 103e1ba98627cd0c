"""Evaluation metrics, one value per model: ``metric(out, y) -> (*population,)``.

`mae` is the error the tutorials print, ``mean(abs(output - y))``; `mse` is
the notebooks' ``mean((y - output)**2)``. `accuracy` reads one output as a
probability (threshold 0.5) and several outputs as class scores (argmax),
with y one-hot or 0/1.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlplab._checks import check_choice

Metric = Callable[[np.ndarray, np.ndarray], np.ndarray]


def mae(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean absolute error over samples and outputs."""
    return np.abs(out - y).mean(axis=(-2, -1))


def mse(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean squared error over samples and outputs."""
    return ((y - out) ** 2).mean(axis=(-2, -1))


def accuracy(out: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fraction of samples whose predicted class equals the target class."""
    if out.shape[-1] == 1:
        hits = (out[..., 0] > 0.5) == (y[..., 0] > 0.5)
    else:
        hits = out.argmax(axis=-1) == y.argmax(axis=-1)
    return hits.mean(axis=-1)


METRICS: dict[str, Metric] = {"mae": mae, "mse": mse, "accuracy": accuracy}


def get_metric(name: str | Metric, *, owner: str = "fit") -> Metric:
    """A metric function from its name (see METRICS) or a callable."""
    if callable(name):
        return name
    return METRICS[check_choice("metric", owner, name, METRICS)]


def metric_name(metric: str | Metric) -> str:
    """The key a metric is recorded under in a History."""
    return metric if isinstance(metric, str) else getattr(metric, "__name__", "metric")
