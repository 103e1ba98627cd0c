"""Training: `fit` runs the loop; batching, logging and guards live elsewhere.

One step is the tutorials' iteration: forward pass, "how much did we miss?",
backpropagate, then add every parameter's update, all updates computed from
the same weights before any changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlplab._checks import as_float_array, check_int, invalid
from mlplab.activations import ACTIVATIONS
from mlplab.batches import Batches
from mlplab.callbacks import Callback, DivergenceError, DivergenceGuard, overrides
from mlplab.history import History
from mlplab.layers import Activation
from mlplab.losses import Loss, SoftmaxCrossEntropy, get_loss
from mlplab.metrics import Metric, get_metric, metric_name
from mlplab.optim import GradientTransformation, apply_updates, get_optimizer, sgd


class TrainingState:
    """What callbacks see: the model, where training is, and the last step's results.

    outputs: the step's batch outputs before its update; y_batch: its targets;
    loss: the loss per model; grads, updates: lists in the order of `params`.
    """

    def __init__(self, model: Any, optimizer_state: Any) -> None:
        self.model, self.params = model, model.params
        self.optimizer_state = optimizer_state
        self.iteration = self.epoch = 0
        self.outputs: Any = None
        self.y_batch: Any = None
        self.loss: Any = None
        self.grads: list[np.ndarray] = []
        self.updates: list[np.ndarray] = []
        self.stop_training = False


class TrainStep:
    """One gradient step on a batch, with the loss fused into a matching last activation.

    `before_update` hooks run once the loss, gradients and updates are known
    and before the updates touch the weights (the divergence guard's moment).
    """

    def __init__(self, model: Any, loss: Loss, optimizer: GradientTransformation | None = None,
                 before_update: Sequence[Any] = ()) -> None:
        last = model.layers[-1]
        self.fused = (loss.logits_of is not None and isinstance(last, Activation)
                      and last.fn is ACTIVATIONS[loss.logits_of])
        self.loss_of = (loss.value_and_gradient_from_logits if self.fused
                        else loss.value_and_gradient)
        self.model, self.optimizer, self.before_update = model, optimizer, list(before_update)

    def gradients(self, xb: np.ndarray, yb: np.ndarray) -> tuple[np.ndarray, Any, list]:
        """(outputs, loss per model, gradients in `params` order) on one batch."""
        model = self.model
        out = model.forward(xb, training=True)
        value, grad = self.loss_of(model.layers[-1].input if self.fused else out, yb)
        return out, value, model.backward(grad, skip_last=self.fused)

    def __call__(self, state: TrainingState, xb: np.ndarray, yb: np.ndarray) -> None:
        state.outputs, state.loss, state.grads = self.gradients(xb, yb)
        state.y_batch = yb
        state.updates, state.optimizer_state = self.optimizer.update(
            state.grads, state.optimizer_state, state.params)
        for hook in self.before_update:
            hook(state)
        apply_updates(state.params, state.updates)


def fit(model: Any, X: Any, y: Any, *, loss: str | Loss = "mse",
        optimizer: str | GradientTransformation | None = None, epochs: int | None = None,
        iterations: int | None = None, batch_size: int | None = None, shuffle: bool = True,
        seed: Any = None, metrics: Sequence[str | Metric] = (),
        callbacks: Sequence[Callback] = (), guard: bool = True) -> History:
    """Train `model` in place and return its History.

    X: (n_samples, n_inputs); y: (n_samples, n_outputs), (n_samples,) for one
    output, or integer class labels (n_samples,) with softmax cross-entropy.
    Give exactly one of `epochs` (passes over the data) or `iterations`
    (steps). batch_size None is full batch; `seed` drives shuffling only.
    optimizer: a transformation such as ``sgd(alpha)``, or a name; default sgd(0.01).
    metrics: names or functions recorded per epoch beside the loss.
    guard: stop with DivergenceError on a NaN or infinite loss (see DivergenceGuard).
    """
    loss = get_loss(loss)
    X = model.check_input(X, "X", "fit")
    y = prepare_targets(model, y, X.shape[0], loss)
    optimizer = sgd(0.01) if optimizer is None else get_optimizer(optimizer)
    batches = Batches(X, y, batch_size, shuffle=shuffle, seed=seed)
    n_epochs, max_steps = _duration(epochs, iterations, batches.per_epoch)
    callbacks = list(callbacks)
    if guard and not any(isinstance(c, DivergenceGuard) for c in callbacks):
        callbacks.append(DivergenceGuard())
    hooks = Hooks(callbacks)
    step = TrainStep(model, loss, optimizer, hooks.before_update)
    state = TrainingState(model, optimizer.init(model.params))
    history = History()
    meter = EpochMeter(history, metrics, summed=loss.reduction == "sum", n=batches.n,
                       single_batch=batches.per_epoch == 1)
    try:
        with np.errstate(over="ignore"):  # the sigmoid's exp overflows harmlessly
            _loop(state, step, batches, hooks, meter, n_epochs, max_steps)
    except DivergenceError as error:
        error.history = history
        raise
    finally:
        history.iterations = state.iteration
    return history


class Hooks:
    """The callbacks' hooks, keeping per-step lists to those actually overridden."""

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = callbacks
        self.step_begin = self._overridden("on_step_begin")
        self.before_update = self._overridden("on_before_update")
        self.step_end = self._overridden("on_step_end")
        self.epoch_end = self._overridden("on_epoch_end")

    def _overridden(self, hook: str) -> list[Any]:
        return [getattr(c, hook) for c in self.callbacks if overrides(c, hook)]

    def call(self, hook: str, state: TrainingState) -> None:
        for c in self.callbacks:
            getattr(c, hook)(state)


def _loop(state: TrainingState, step: TrainStep, batches: Batches, hooks: Hooks,
          meter: EpochMeter, n_epochs: int, max_steps: int) -> None:
    hooks.call("on_train_begin", state)
    step_begin, step_end, epoch_end = hooks.step_begin, hooks.step_end, hooks.epoch_end
    take_step, add, next_batches = step.__call__, meter.add, batches.epoch  # bound once
    for epoch in range(n_epochs):
        state.epoch = epoch
        for xb, yb in next_batches():
            for hook in step_begin:
                hook(state)
            take_step(state, xb, yb)
            for hook in step_end:
                hook(state)
            add(state, xb)
            state.iteration += 1
            if state.stop_training or state.iteration == max_steps:
                break
        meter.end_epoch(state)
        for hook in epoch_end:
            hook(state)
        if state.stop_training or state.iteration == max_steps:
            break
    hooks.call("on_train_end", state)


class EpochMeter:
    """Records each epoch's loss and metrics in the History.

    Batches are averaged weighted by their size; a summed loss (the delta
    rule) is added up instead, so an epoch's value is the loss over all its
    samples either way. With one batch per epoch (full batch) the step's own
    values are the epoch's, and nothing needs adding up.
    """

    def __init__(self, history: History, metrics: Sequence[str | Metric], *, summed: bool,
                 n: int, single_batch: bool) -> None:
        self.metrics = [get_metric(m) for m in metrics]
        self.loss_column = history.column("loss")
        self.metric_columns = [history.column(metric_name(m)) for m in metrics]
        self.summed, self.n = summed, n
        self.loss_total: Any = 0.0
        self.metric_totals: list[Any] = [0.0] * len(self.metrics)
        if single_batch:  # the hot path of full-batch training: record the step directly
            self.add = _ignore  # type: ignore[method-assign]
            self.end_epoch = self._record_step  # type: ignore[method-assign]

    def add(self, state: TrainingState, xb: np.ndarray) -> None:
        weight = xb.shape[0] / self.n
        self.loss_total += state.loss if self.summed else state.loss * weight
        for i, metric in enumerate(self.metrics):
            self.metric_totals[i] += metric(state.outputs, state.y_batch) * weight

    def end_epoch(self, state: TrainingState) -> None:
        self.loss_column.append(self.loss_total)
        for column, total in zip(self.metric_columns, self.metric_totals, strict=True):
            column.append(total)
        self.loss_total, self.metric_totals = 0.0, [0.0] * len(self.metrics)

    def _record_step(self, state: TrainingState) -> None:
        self.loss_column.append(state.loss)
        if self.metrics:
            for column, metric in zip(self.metric_columns, self.metrics, strict=True):
                column.append(metric(state.outputs, state.y_batch))


def _ignore(*args: Any) -> None:
    """A hook that does nothing."""


def _duration(epochs: Any, iterations: Any, per_epoch: int) -> tuple[int, int]:
    """(number of epochs, step limit) from exactly one of epochs / iterations."""
    if (epochs is None) == (iterations is None):
        raise invalid("epochs", "fit", "given, or 'iterations' given, but not both",
                      f"epochs={epochs!r}, iterations={iterations!r}", raw=True)
    if epochs is not None:
        epochs = check_int("epochs", "fit", epochs, low=1)
        return epochs, epochs * per_epoch
    iterations = check_int("iterations", "fit", iterations, low=1)
    return -(-iterations // per_epoch), iterations


def prepare_targets(model: Any, y: Any, n_samples: int, loss: Loss) -> np.ndarray:
    """Targets as (n_samples, n_outputs) in the model's dtype, checked against the model.

    Integer class labels (n_samples,) become one-hot rows for softmax cross-entropy.
    """
    y = as_float_array("y", "fit", y, ndim=(1, 2), dtype=model.dtype)
    if y.shape[0] != n_samples:
        raise invalid("y", "fit", f"{n_samples} rows, one per row of X",
                      f"{y.shape[0]} rows", raw=True)
    n_out = model.n_outputs
    if y.ndim == 1 and isinstance(loss, SoftmaxCrossEntropy) and n_out > 1:
        return _one_hot(y, n_out, model.dtype)
    if y.ndim == 1:
        y = y[:, None]
    if y.shape[1] != n_out:
        raise invalid("y", "fit", f"{n_out} columns, one per model output",
                      f"shape {y.shape}", raw=True)
    return y


def _one_hot(labels: np.ndarray, n_classes: int, dtype: Any) -> np.ndarray:
    if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= n_classes:
        raise invalid("y", "fit", f"class labels 0..{n_classes - 1} (the model has "
                      f"{n_classes} outputs)", f"labels from {labels.min():g} to "
                      f"{labels.max():g}", raw=True)
    return np.eye(n_classes, dtype=dtype)[labels.astype(np.int64)]
