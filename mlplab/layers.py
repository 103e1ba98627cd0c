"""Layers: Dense and activation layers.

A layer maps ``x: (*population, n_samples, n_in)`` to
``(*population, n_samples, n_out)``; the input of the first layer is usually
shared data ``(n_samples, n_in)`` that broadcasts against a population of
weights ``W: (*population, n_in, n_out)``. `forward` remembers what `backward`
needs; `backward(grad)` sets ``self.grads`` (one array per parameter, shaped
like it) and returns the gradient with respect to the input.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.activations import get_activation
from mlplab.initializers import Initializer, Rng, get_initializer


class Layer:
    """Base class: no parameters, identity forward and backward."""

    param_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []

    def output_size(self, n_in: int) -> int:
        """The number of features this layer produces from `n_in` inputs."""
        return n_in

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        """Fresh parameters for one model (no population axes)."""
        return []

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return grad

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{type(self).__name__}({args})"


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


class Activation(Layer):
    """An activation function as a layer, e.g. ``Activation("sigmoid")``.

    Keyword arguments go to the function (``Activation("leaky_relu", slope=0.2)``).
    The layer keeps whichever of input or output the derivative takes.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__()
        self.fn = get_activation(name)
        self.name = name
        self.kwargs = kwargs
        self._forward = _bind(self.fn.forward, kwargs)
        self._derivative = _bind(self.fn.derivative, kwargs)
        self._keep_input = self.fn.takes == "input"

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.input = x  # the logits, for a loss fused with this activation
        self.output = out = self._forward(x)
        self._saved = x if self._keep_input else out
        return out

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._derivative is None:
            return self.fn.vjp(grad, self.output)
        slope = self._derivative(self._saved)
        slope *= grad  # in place: the derivative returned a fresh array
        return slope

    def get_config(self) -> dict[str, Any]:
        return {"type": "Activation", "name": self.name, **self.kwargs}


def _bind(fn: Any, kwargs: dict[str, Any]) -> Any:
    return partial(fn, **kwargs) if kwargs and fn is not None else fn


LAYERS: dict[str, type[Layer]] = {"Dense": Dense, "Activation": Activation}


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer (without weights) from its `get_config()`."""
    config = dict(config)
    kind = config.pop("type", None)
    if kind not in LAYERS:
        raise invalid("type", "layer_from_config", f"one of {sorted(LAYERS)}", kind)
    if kind == "Activation":
        return Activation(config.pop("name"), **config)
    return LAYERS[kind](**config)
