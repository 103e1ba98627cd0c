"""Dense: the fully connected layer, z = x @ W + b."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.initializers import Initializer, Rng, get_initializer, initializer_name
from mlplab.layers.base import Layer


class Dense(Layer):
    """Fully connected layer: z = x @ W + b.

    W: (*population, n_in, n_out); b: (*population, n_out) when ``bias`` is on.
    Gradients: dW = x^T @ grad, db = sum of grad over samples, dx = grad @ W^T.
    `init` overrides the model's initializer for this layer's weights (a name:
    a callable cannot be written into a config, so `get_config` refuses it);
    biases start at zero.
    """

    param_names = ("W", "b")
    _W: Any = None  # the weights whose transposed view `_W_T` holds (training scratch)
    _W_T: Any = None

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True,
                 init: str | Initializer | None = None) -> None:
        super().__init__()
        self.n_in = check_int("n_in", "Dense", n_in, low=1)
        self.n_out = check_int("n_out", "Dense", n_out, low=1)
        if not isinstance(bias, bool | np.bool_):
            raise invalid("bias", "Dense", "True or False", bias)
        self.bias = bool(bias)
        self.init = init
        if init is not None:  # checked now; looked up when drawing (a closure does not pickle)
            get_initializer(init, owner="Dense")
        if not self.bias:
            self.param_names = ("W",)
        self.set_backend(self.backend)

    def set_backend(self, backend: Any) -> None:
        super().set_backend(backend)
        self._matmul = backend.xp.matmul
        # NumPy, 2-D weights: np.dot gives matmul's numbers with less overhead per call.
        self._matmul_2d = np.dot if backend.is_numpy else backend.xp.matmul

    def input_size(self) -> int:
        return self.n_in

    def output_size(self, n_in: int) -> int:
        return self.n_out

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        init = default_init if self.init is None else get_initializer(self.init, owner="Dense")
        W = init((self.n_in, self.n_out), rng)
        return [W, np.zeros(self.n_out)] if self.bias else [W]

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        self._x = x
        W = self.params[0]
        z = (self._matmul_2d if W.ndim == 2 else self._matmul)(x, W)
        if self.bias:
            z += self.params[1][..., None, :]
        return z

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        W = self.params[0]
        matmul = self._matmul_2d if W.ndim == 2 else self._matmul
        dW = matmul(self._x.mT, grad)
        self.grads = [dW, self.backend.xp.sum(grad, axis=-2)] if self.bias else [dW]
        if not need_input_grad:
            return None
        if W is not self._W:  # W changes in place, so its transposed view stays valid
            self._W, self._W_T = W, W.mT
        return matmul(grad, self._W_T)

    def get_config(self) -> dict[str, Any]:
        config = {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out, "bias": self.bias}
        if self.init is not None:
            config["init"] = initializer_name(self.init, "Dense")
        return config
