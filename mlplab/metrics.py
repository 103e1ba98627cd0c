"""Evaluation metrics, one value per model: ``metric(out, y) -> (*population,)``.

`mae` is the error the tutorials print, ``mean(abs(output - y))``; `mse` is
the notebooks' ``mean((y - output)**2)``. `accuracy` reads one output as a
probability (threshold 0.5) and several outputs as class scores (argmax),
with y one-hot or 0/1. Each works in the namespace of the arrays it is given
(NumPy, CuPy, any array API namespace; see `mlplab.backend`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab.backend import NUMPY, backend_of
from mlplab.registry import Registry

Metric = Callable[[Any, Any], Any]


def _namespace(a: Any) -> Any:
    """NumPy's namespace for NumPy arrays (no look-up), else the array's own."""
    if isinstance(a, np.ndarray | np.generic):
        return NUMPY.xp
    return backend_of(a).xp


def mae(out: Any, y: Any) -> Any:
    """Mean absolute error over samples and outputs."""
    xp = _namespace(out)
    return xp.mean(xp.abs(out - y), axis=(-2, -1))


def mae_rows(out: Any, y: Any) -> Any:
    """`mae`'s value per sample, (*population, n): its mean over the outputs."""
    xp = _namespace(out)
    return xp.mean(xp.abs(out - y), axis=-1)


def mse(out: Any, y: Any) -> Any:
    """Mean squared error over samples and outputs."""
    xp = _namespace(out)
    return xp.mean((y - out) ** 2, axis=(-2, -1))


def mse_rows(out: Any, y: Any) -> Any:
    """`mse`'s value per sample, (*population, n)."""
    xp = _namespace(out)
    return xp.mean((y - out) ** 2, axis=-1)


def accuracy(out: Any, y: Any) -> Any:
    """Fraction of samples whose predicted class equals the target class."""
    return _namespace(out).mean(accuracy_rows(out, y), axis=-1)


def accuracy_rows(out: Any, y: Any) -> Any:
    """`accuracy` per sample, (*population, n): 1 for a hit, 0 for a miss."""
    xp = _namespace(out)
    if out.shape[-1] == 1:
        hits = (out[..., 0] > 0.5) == (y[..., 0] > 0.5)
    else:
        hits = xp.argmax(out, axis=-1) == xp.argmax(y, axis=-1)
    return xp.astype(hits, out.dtype)


METRICS = Registry("metric")
# per_row: the metric's value per sample, whose mean over the samples is the metric; it
# lets a metric be taken over a different set of rows for each member of a population
# (`mlplab.objective.member_metric`) in one pass.
METRICS.add("mae", mae, aliases=["mean_absolute_error"], per_row=mae_rows)
METRICS.add("mse", mse, aliases=["mean_squared_error"], per_row=mse_rows)
METRICS.add("accuracy", accuracy, aliases=["acc"], per_row=accuracy_rows)


def get_metric(name: str | Metric, *, owner: str = "fit") -> Metric:
    """A metric function from its name or alias (see METRICS) or a callable."""
    if callable(name):
        return name
    return METRICS.lookup(name, owner=owner, parameter="metric")


def metric_name(metric: str | Metric) -> str:
    """The key a metric is recorded under in a History."""
    return metric if isinstance(metric, str) else getattr(metric, "__name__", "metric")
