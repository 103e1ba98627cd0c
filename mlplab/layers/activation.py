"""Activation: an activation function (see `mlplab.activations`) as a layer."""

from __future__ import annotations

from functools import partial
from typing import Any

from mlplab.activations import canonical_activation, get_activation
from mlplab.layers.base import Layer


class Activation(Layer):
    """An activation function as a layer, e.g. ``Activation("sigmoid")``.

    Keyword arguments go to the function (``Activation("leaky_relu", slope=0.2)``).
    Forward keeps its input (the logits, for a loss fused with this activation)
    and its output; backward reads whichever the derivative takes.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__()
        self.fn = get_activation(name)
        self.name = canonical_activation(name)
        self.kwargs = kwargs
        self._keep_input = self.fn.takes == "input"
        self.set_backend(self.backend)

    def set_backend(self, backend: Any) -> None:
        super().set_backend(backend)
        fn = self.fn
        self._forward = _bind(fn.forward, backend, self.kwargs)
        self._derivative = _bind(fn.derivative, backend, self.kwargs)
        self._vjp = _bind(fn.vjp, backend, {})
        if backend.is_numpy and not self.kwargs:  # NumPy's specialised forms, where given
            self._forward = fn.numpy_forward or self._forward
            self._derivative = fn.numpy_derivative or self._derivative

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        self.input = x  # the logits, for a loss fused with this activation
        self.output = out = self._forward(x)
        return out

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        if not need_input_grad:  # the first layer: its input is the data
            return None
        if self._derivative is None:
            return self._vjp(grad, self.output)
        slope = self._derivative(self.input if self._keep_input else self.output)
        slope *= grad  # in place: the derivative returned a fresh array
        return slope

    def get_config(self) -> dict[str, Any]:
        return {"type": "Activation", "name": self.name, **self.kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Activation:
        config = {k: v for k, v in config.items() if k != "type"}
        return cls(config.pop("name"), **config)


def _bind(fn: Any, backend: Any, kwargs: dict[str, Any]) -> Any:
    """`fn` with the namespace and options bound (NumPy is every function's default)."""
    if fn is None or (backend.is_numpy and not kwargs):  # a partial costs ~0.3 us a call
        return fn
    return partial(fn, xp=backend.xp, **kwargs)
