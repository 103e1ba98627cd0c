"""Activation functions, each beside its derivative, and a registry by name.

The tutorials compute a squashing function's slope from the layer's *output*
(`s * (1 - s)` for the sigmoid), so each entry says which one its derivative
takes: ``takes="output"`` or ``takes="input"``. Mixing them up is silently
wrong for sigmoid and tanh, so the layer that uses them reads this field.

Arrays may carry leading population axes; every function is elementwise except
softmax, which works along the last (feature) axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

import numpy as np

from mlplab._checks import check_choice

# NumPy converts a Python number operand anew on every call, which costs more than the
# arithmetic itself on arrays as small as the tutorials'. A cached 0-d array of the
# operand's dtype skips that, and keeps float32 results float32.
_ONE = {np.dtype(t): np.ones((), dtype=t) for t in (np.float16, np.float32, np.float64)}


class ActivationFn(NamedTuple):
    """A forward function with its backward rule.

    ``derivative(saved)`` returns the elementwise slope, where ``saved`` is the
    forward's input or output as ``takes`` says. Softmax is not elementwise and
    gives ``vjp(grad, output)``, the vector-Jacobian product, instead.
    """

    forward: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray] | None
    takes: Literal["input", "output"]
    vjp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-x)), written as the tutorials write it.

    This form reproduces the tutorials' numbers bit for bit. For x < -709,
    exp(-x) overflows to inf and the result is exactly 0, which is right; the
    model and training loop silence that one overflow warning around the whole
    pass instead of paying for `np.errstate` on every call.
    """
    t = np.exp(-x)
    if not isinstance(t, np.ndarray):  # a scalar or 0-d input: no array to reuse as `out`
        return 1 / (1 + t)
    t += _ONE.get(t.dtype, 1)  # in place: the same numbers with fewer temporaries
    return np.reciprocal(t, out=t)


def sigmoid_derivative_from_output(s: np.ndarray) -> np.ndarray:
    """Slope of the sigmoid given its output s: s * (1 - s)."""
    slope = _ONE.get(s.dtype, 1) - s
    slope *= s
    return slope


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent."""
    return np.tanh(x)


def tanh_derivative_from_output(t: np.ndarray) -> np.ndarray:
    """Slope of tanh given its output t: 1 - t**2."""
    return _ONE.get(t.dtype, 1) - t * t


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit max(x, 0)."""
    return np.maximum(x, 0)


def relu_derivative_from_output(r: np.ndarray) -> np.ndarray:
    """Slope of ReLU given its output r: 1 where r > 0, else 0 (0 at the kink)."""
    return (r > 0).astype(r.dtype)


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """x for x > 0, slope * x otherwise."""
    return np.where(x > 0, x, slope * x)


def leaky_relu_derivative_from_input(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """Slope of leaky ReLU given its input x: 1 where x > 0, else `slope`."""
    return np.where(x > 0, 1.0, slope).astype(x.dtype)


def linear(x: np.ndarray) -> np.ndarray:
    """The identity: a layer with no squashing (regression outputs)."""
    return x


def linear_vjp(grad: np.ndarray, _output: np.ndarray) -> np.ndarray:
    """The identity's slope is 1, so the gradient passes through unchanged."""
    return grad


def softmax(x: np.ndarray) -> np.ndarray:
    """exp(x) / sum(exp(x)) along the last axis, shifted by the max for stability."""
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_vjp(grad: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Gradient through softmax given its output s: s * (grad - sum(grad * s))."""
    return s * (grad - (grad * s).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, ActivationFn] = {
    "sigmoid": ActivationFn(sigmoid, sigmoid_derivative_from_output, "output"),
    "tanh": ActivationFn(tanh, tanh_derivative_from_output, "output"),
    "relu": ActivationFn(relu, relu_derivative_from_output, "output"),
    "leaky_relu": ActivationFn(leaky_relu, leaky_relu_derivative_from_input, "input"),
    "linear": ActivationFn(linear, None, "output", vjp=linear_vjp),
    "softmax": ActivationFn(softmax, None, "output", vjp=softmax_vjp),
}
ALIASES = {"logistic": "sigmoid", "identity": "linear"}


def get_activation(name: str, *, owner: str = "Activation",
                   parameter: str = "activation") -> ActivationFn:
    """Look up an activation by name (aliases: logistic, identity)."""
    name = ALIASES.get(name, name) if isinstance(name, str) else name
    return ACTIVATIONS[check_choice(parameter, owner, name, ACTIVATIONS)]
