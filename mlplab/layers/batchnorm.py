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
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, n_features: int, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_features = check_int("n_features", "BatchNorm", n_features, low=1)
        self.momentum = _check_scalar("momentum", momentum, low=0.0, low_open=False, high=1.0)
        self.eps = _check_scalar("eps", eps, low=0.0, low_open=True, high=np.inf)

    def input_size(self) -> int:
        return self.n_features

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        return [np.ones(self.n_features), np.zeros(self.n_features)]

    def init_buffers(self) -> list[np.ndarray]:
        return [np.zeros(self.n_features), np.ones(self.n_features)]

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        if training:
            mean, var = self._batch_statistics(x)
        else:
            mean, var = (b[..., None, :] for b in self.buffers)
        self._training = training
        self._inv_std = 1 / self.backend.xp.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        gamma, beta = self.params
        return self._x_hat * gamma[..., None, :] + beta[..., None, :]

    def _batch_statistics(self, x: Any) -> tuple[Any, Any]:
        """Mean and biased variance over samples; updates the running averages."""
        n = x.shape[-2]
        if n < 2:
            raise invalid("x", "BatchNorm.forward", "a batch of at least 2 samples while "
                          "training (one sample has no variance)", f"{n} sample", raw=True)
        xp = self.backend.xp
        mean = xp.mean(x, axis=-2, keepdims=True)
        var = xp.var(x, axis=-2, keepdims=True)
        running_mean, running_var = self.buffers
        for running, batch in ((running_mean, mean[..., 0, :]),
                               (running_var, var[..., 0, :] * (n / (n - 1)))):
            running *= 1 - self.momentum
            running += self.momentum * batch
        return mean, var

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        xp = self.backend.xp
        x_hat = self._x_hat
        grad_x_hat = grad * x_hat
        self.grads = [xp.sum(grad_x_hat, axis=-2), xp.sum(grad, axis=-2)]
        if not need_input_grad:
            return None
        slope = self.params[0][..., None, :] * self._inv_std
        if not self._training:  # the running statistics are constants
            return grad * slope
        centred = grad - xp.mean(grad, axis=-2, keepdims=True)
        return slope * (centred - x_hat * xp.mean(grad_x_hat, axis=-2, keepdims=True))

    def get_config(self) -> dict[str, Any]:
        return {"type": "BatchNorm", "n_features": self.n_features,
                "momentum": self.momentum, "eps": self.eps}


def _check_scalar(name: str, value: Any, **limits: Any) -> float:
    """One float: BatchNorm takes no per-model hyperparameters."""
    checked = check_number(name, "BatchNorm", value, **limits)
    if not isinstance(checked, float):
        raise invalid(name, "BatchNorm", "a single float", value)
    return checked
