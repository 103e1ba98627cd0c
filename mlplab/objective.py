"""A model's loss on data: the one place that knows how a loss meets the model's output.

A loss with ``logits_of`` (softmax cross-entropy, binary cross-entropy) is
fused with a matching final activation: it reads that layer's input (the
logits) and backpropagation starts below it. Training steps, full-batch
solvers and evaluation all go through here, so they agree on what "the loss"
of a model is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlplab._checks import as_float_array, invalid
from mlplab.activations import ACTIVATIONS
from mlplab.backend import backend_of, to_numpy
from mlplab.layers import Activation
from mlplab.losses import Loss, SoftmaxCrossEntropy, weighted_value_and_gradient
from mlplab.metrics import METRICS, Metric, get_metric, metric_name
from mlplab.numpy_step import compile_gradients


def fuses_last_layer(model: Any, loss: Loss) -> bool:
    """Whether `loss` takes the logits of `model`'s final activation layer."""
    last = model.layers[-1]
    return (loss.logits_of is not None and isinstance(last, Activation)
            and last.fn is ACTIVATIONS[loss.logits_of])


class Objective:
    """The loss of `model` on (X, y), and its gradients, at the model's current weights.

    X: (n_samples, n_inputs); y: (n_samples, n_outputs), already checked and on
    the model's backend. ``rngs`` are the random streams handed to the model's
    layers on every training pass (see `mlplab.streams`), None until a run sets them.
    sample_weight: None, or the rows' weights (n_samples,) on the model's backend;
    ``batch_weights`` are those of the batch being trained on (the whole set's
    until a batcher hands out others), and the loss is the weighted one of
    `mlplab.losses.weighted_value_and_gradient`.
    """

    def __init__(self, model: Any, loss: Loss, X: Any, y: Any, sample_weight: Any = None) -> None:
        self.model, self.loss, self.X, self.y = model, loss, X, y
        self.sample_weight = self.batch_weights = sample_weight
        self.xp = model.backend.xp
        self.rngs: Any = None
        self.fused = fuses_last_layer(model, loss)
        self._value_and_gradient = (loss.value_and_gradient_from_logits if self.fused
                                    else loss.value_and_gradient)
        self._value = loss.value_from_logits if self.fused else loss.value
        # On NumPy, a model of Dense and Activation layers trains through its pass written
        # out as straight-line code (the same calls, far less Python); see numpy_step.
        self.step_gradients = compile_gradients(self) or self.gradients
        # An adaptive sampler (AW-SGD) sets the importance weight of each row of the batch it
        # hands out, (batch, 1), and reads back the unweighted gradient at the output.
        self.sample_weights: np.ndarray | None = None
        self.output_gradient: np.ndarray | None = None

    def gradients(self, xb: Any, yb: Any, *, training: bool = True
                  ) -> tuple[Any, Any, list[Any]]:
        """(outputs, loss per model, gradients in `params` order) on one batch."""
        model = self.model
        out = model.forward(xb, training=training, rngs=self.rngs)
        z = model.layers[-1].input if self.fused else out
        if self.batch_weights is None:
            value, grad = self._value_and_gradient(z, yb, self.xp)
        else:
            value, grad = self.weighted(z, yb, self.xp)
        if self.sample_weights is not None:
            self.output_gradient = grad
            grad = grad * self.sample_weights
        return out, value, model.backward(grad, skip_last=self.fused)

    def weighted(self, z: Any, yb: Any, xp: Any) -> tuple[Any, Any]:
        """The loss and its gradient at z (the output, or the logits when fused), weighted by
        ``batch_weights``."""
        return weighted_value_and_gradient(self.loss, z, yb, self.batch_weights, xp,
                                           from_logits=self.fused)

    def value_and_grads(self) -> tuple[Any, list[Any]]:
        """Loss per model and gradients on the whole data set."""
        _, value, grads = self.gradients(self.X, self.y)
        return value, grads

    def value(self, *, training: bool = False) -> Any:
        """Loss per model on the whole data set (no gradients)."""
        out = self.model.forward(self.X, training=training, rngs=self.rngs)
        z = self.model.layers[-1].input if self.fused else out
        if self.sample_weight is None:
            return self._value(z, self.y, self.xp)
        return weighted_value_and_gradient(self.loss, z, self.y, self.sample_weight, self.xp,
                                           from_logits=self.fused)[0]


def evaluate(model: Any, X: Any, y: Any, loss: Loss,
             metrics: Sequence[str | Metric] = (), sample_weight: Any = None) -> dict[str, Any]:
    """Loss and metrics of `model` on checked (X, y), in predict mode (no dropout, running stats).

    Returns ``{"loss": ..., metric name: ...}``, each a float or one value per model.
    sample_weight on the model's backend weighs the loss: (n_samples,) for every
    member alike (the metrics are then unweighted, over all rows), or
    (*population, n_samples), one row per member: each member's loss is weighted by
    its own row, and its metrics are computed over its rows of weight > 0 alone
    (see `member_metric`).
    """
    out = model.forward(X, training=False)
    fused = fuses_last_layer(model, loss)
    xp = model.backend.xp
    z = model.layers[-1].input if fused else out
    if sample_weight is not None:
        value = weighted_value_and_gradient(loss, z, y, sample_weight, xp, from_logits=fused)[0]
    else:
        value = loss.value_from_logits(z, y, xp) if fused else loss.value(out, y, xp)
    results = {"loss": value}
    per_member = sample_weight is not None and sample_weight.ndim > 1
    for metric in metrics:
        fn = get_metric(metric)
        results[metric_name(metric)] = (member_metric(fn, out, y, sample_weight) if per_member
                                        else fn(out, y))
    return results


def member_metric(metric: Metric, out: Any, y: Any, weights: Any) -> Any:
    """`metric` of each member over its own rows, those of weight > 0: (*population,).

    out: (*population, n, n_outputs), y: (n, n_outputs) (or each member's own,
    shaped like out), weights: (*population, n) on the same backend. A member
    with no row of weight > 0 gets 0. A registered
    metric (`mlplab.metrics.METRICS`) is the mean of its per-row values over the
    member's rows, all members in one pass; a function of the user's is called
    once per member on its rows.
    """
    per_row = _per_row(metric)
    if per_row is not None:
        xp = backend_of(out).xp
        keep = xp.astype(weights > 0, out.dtype)
        count = xp.sum(keep, axis=-1)
        total = xp.sum(per_row(out, y) * keep, axis=-1)
        return total / xp.where(count > 0, count, xp.ones_like(count))
    return _member_metric_loop(metric, out, y, weights)


def _per_row(metric: Metric) -> Any:
    """The per-row form of a registered metric, or None (a function of the user's)."""
    for name, registered in METRICS.items():
        if registered is metric:
            return METRICS.fact(name, "per_row")
    return None


def _member_metric_loop(metric: Metric, out: Any, y: Any, weights: Any) -> Any:
    """`member_metric` one member at a time, for a metric without a per-row form."""
    backend = backend_of(out)
    xp = backend.xp
    keep = np.asarray(to_numpy(weights)).reshape(-1, out.shape[-2]) > 0
    outputs = xp.reshape(out, (-1, *out.shape[-2:]))
    targets = xp.reshape(y, (-1, *y.shape[-2:])) if y.ndim == out.ndim else None
    values = []
    for k, rows in enumerate(keep):
        index = np.flatnonzero(rows)
        yk = y if targets is None else targets[k, ...]
        if len(index) == 0:
            values.append(backend.asarray(0.0, dtype=out.dtype))
        elif backend.is_numpy:
            values.append(metric(outputs[k][index], yk[index]))
        else:
            where = backend.asarray(index)
            values.append(metric(xp.take(outputs[k, ...], where, axis=0),
                                 xp.take(yk, where, axis=0)))
    return xp.reshape(xp.stack(values), tuple(out.shape[:-2]))


def check_targets(model: Any, y: Any, n_samples: int, loss: Loss, owner: str, *,
                  name: str = "y") -> Any:
    """Targets as (n_samples, n_outputs) in the model's dtype and backend, checked against it.

    Integer class labels (n_samples,) become one-hot rows for softmax cross-entropy.
    """
    y = as_float_array(name, owner, y, ndim=(1, 2), dtype=model.dtype, backend=model.backend)
    if y.shape[0] != n_samples:
        raise invalid(name, owner, f"{n_samples} rows, one per row of X",
                      f"{y.shape[0]} rows", raw=True)
    n_out = model.n_outputs
    if y.ndim == 1 and isinstance(loss, SoftmaxCrossEntropy) and n_out > 1:
        one_hot = _one_hot(to_numpy(y), n_out, model.dtype, name, owner)
        return model.backend.asarray(one_hot)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[1] != n_out:
        raise invalid(name, owner, f"an array with {_plural(n_out, 'column')}, one per model "
                      "output", f"shape {tuple(y.shape)}", raw=True)
    return y


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _one_hot(labels: np.ndarray, n_classes: int, dtype: Any, name: str,
             owner: str) -> np.ndarray:
    if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= n_classes:
        raise invalid(name, owner, f"class labels 0..{n_classes - 1} (the model has "
                      f"{n_classes} outputs)", f"labels from {labels.min():g} to "
                      f"{labels.max():g}", raw=True)
    return np.eye(n_classes, dtype=dtype)[labels.astype(np.int64)]
