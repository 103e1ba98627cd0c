"""BatchNorm: batch statistics in training, running averages in predict."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.initializers import Initializer, Rng
from mlplab.layers.base import Layer


class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy, 2015): y = gamma * x_hat + beta.

    x: (*population, n_samples, n_features) or shared (n_samples, n_features);
    gamma, beta: (*population, n_features), trainable, starting at 1 and 0;
    buffers running_mean, running_var: (*population, n_features), starting at 0 and 1.

    Training: x_hat = (x - mean) / sqrt(var + eps) with the batch's mean and
    *biased* variance over the sample axis (-2), and, as PyTorch's BatchNorm1d,
    running = (1 - momentum) * running + momentum * batch_stat, where the
    variance's batch_stat is the *unbiased* one, var * n / (n - 1).
    Predict: x_hat uses the running averages instead.
    Backward is the exact gradient through the batch statistics:
    dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat)).

    The options are PyTorch's:
    ``momentum=None``: the running statistics are cumulative averages of every
    batch's, running += (batch_stat - running) / num_batches_tracked, the count
    being a third buffer, num_batches_tracked: (*population,), in the model's dtype.
    ``affine=False``: no gamma and beta (y = x_hat; no parameters).
    ``track_running_stats=False``: no buffers; predict normalizes with the
    statistics of the batch it is given too (so it needs 2 samples or more).
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, n_features: int, *, momentum: float | None = 0.1, eps: float = 1e-5,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        self.n_features = check_int("n_features", "BatchNorm", n_features, low=1)
        self.momentum = None if momentum is None else _check_scalar(
            "momentum", momentum, low=0.0, low_open=False, high=1.0)
        self.eps = _check_scalar("eps", eps, low=0.0, low_open=True, high=np.inf)
        self.affine = _check_bool("affine", affine)
        self.track_running_stats = _check_bool("track_running_stats", track_running_stats)
        if not self.affine:
            self.param_names = ()
        if not self.track_running_stats:
            self.buffer_names = ()
        elif self.momentum is None:
            self.buffer_names = ("running_mean", "running_var", "num_batches_tracked")

    def input_size(self) -> int:
        return self.n_features

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        if not self.affine:
            return []
        return [np.ones(self.n_features), np.zeros(self.n_features)]

    def init_buffers(self) -> list[np.ndarray]:
        if not self.track_running_stats:
            return []
        buffers = [np.zeros(self.n_features), np.ones(self.n_features)]
        return [*buffers, np.zeros(())] if self.momentum is None else buffers

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        self._training = training or not self.track_running_stats
        if self._training:
            mean, var = self._batch_statistics(x, update=training)
        else:
            mean, var = (b[..., None, :] for b in self.buffers[:2])
        self._inv_std = 1 / self.backend.xp.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        if not self.affine:
            return self._x_hat
        gamma, beta = self.params
        return self._x_hat * gamma[..., None, :] + beta[..., None, :]

    def _batch_statistics(self, x: Any, update: bool) -> tuple[Any, Any]:
        """Mean and biased variance over samples; updates the running averages if `update`."""
        n = x.shape[-2]
        if n < 2:
            raise invalid("x", "BatchNorm.forward", "a batch of at least 2 samples while "
                          "training, or in predict without running statistics (one sample "
                          "has no variance)", f"{n} sample", raw=True)
        xp = self.backend.xp
        mean = xp.mean(x, axis=-2, keepdims=True)
        var = xp.var(x, axis=-2, keepdims=True)
        if update and self.track_running_stats:
            self._update_running(mean[..., 0, :], var[..., 0, :] * (n / (n - 1)))
        return mean, var

    def _update_running(self, mean: Any, unbiased_var: Any) -> None:
        """running = (1 - f) * running + f * batch, f = momentum or 1 / batches seen, in place."""
        if self.momentum is None:
            count = self.buffers[2]
            count += 1
            factor = (1 / count)[..., None]
        else:
            factor = self.momentum
        for running, batch in zip(self.buffers[:2], (mean, unbiased_var), strict=True):
            running *= 1 - factor
            running += factor * batch

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        xp = self.backend.xp
        x_hat = self._x_hat
        grad_x_hat = grad * x_hat
        self.grads = [xp.sum(grad_x_hat, axis=-2), xp.sum(grad, axis=-2)] if self.affine else []
        if not need_input_grad:
            return None
        slope = self._inv_std
        if self.affine:
            slope = self.params[0][..., None, :] * slope
        if not self._training:  # the running statistics are constants
            return grad * slope
        centred = grad - xp.mean(grad, axis=-2, keepdims=True)
        return slope * (centred - x_hat * xp.mean(grad_x_hat, axis=-2, keepdims=True))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": "BatchNorm", "n_features": self.n_features,
                                  "momentum": self.momentum, "eps": self.eps}
        for option in ("affine", "track_running_stats"):  # written when off: older files
            if not getattr(self, option):
                config[option] = False
        return config


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise invalid(name, "BatchNorm", "True or False", value)
    return bool(value)


def _check_scalar(name: str, value: Any, **limits: Any) -> float:
    """One float: BatchNorm takes no per-model hyperparameters."""
    checked = check_number(name, "BatchNorm", value, **limits)
    if not isinstance(checked, float):
        raise invalid(name, "BatchNorm", "a single float", value)
    return checked
