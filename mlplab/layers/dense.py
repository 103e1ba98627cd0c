"""Dense: the fully connected layer, z = x @ W + b."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.initializers import Initializer, Rng, get_initializer
from mlplab.layers.base import Layer


class Dense(Layer):
    """Fully connected layer: z = x @ W + b.

    W: (*population, n_in, n_out); b: (*population, n_out) when ``bias`` is on.
    Gradients: dW = x^T @ grad, db = sum of grad over samples, dx = grad @ W^T.
    `init` overrides the model's initializer for this layer's weights; biases
    start at zero.
    """

    param_names = ("W", "b")

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True,
                 init: str | Initializer | None = None) -> None:
        super().__init__()
        self.n_in = check_int("n_in", "Dense", n_in, low=1)
        self.n_out = check_int("n_out", "Dense", n_out, low=1)
        if not isinstance(bias, bool | np.bool_):
            raise invalid("bias", "Dense", "True or False", bias)
        self.bias = bool(bias)
        self.init = init
        self._init = None if init is None else get_initializer(init, owner="Dense")
        if not self.bias:
            self.param_names = ("W",)

    def input_size(self) -> int:
        return self.n_in

    def output_size(self, n_in: int) -> int:
        return self.n_out

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        W = (self._init or default_init)((self.n_in, self.n_out), rng)
        return [W, np.zeros(self.n_out)] if self.bias else [W]

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._x = x
        W = self.params[0]
        z = np.dot(x, W) if W.ndim == 2 else x @ W  # np.dot: same numbers, less overhead
        if self.bias:
            z += self.params[1][..., None, :]
        return z

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        W = self.params[0]
        matmul = np.dot if W.ndim == 2 else np.matmul
        dW = matmul(self._x.mT, grad)
        self.grads = [dW, grad.sum(axis=-2)] if self.bias else [dW]
        return matmul(grad, W.mT) if need_input_grad else None

    def get_config(self) -> dict[str, Any]:
        config = {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out, "bias": self.bias}
        if isinstance(self.init, str):
            config["init"] = self.init
        return config
