"""Activation: an activation function (see `mlplab.activations`) as a layer."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from mlplab.activations import get_activation
from mlplab.layers.base import Layer


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
