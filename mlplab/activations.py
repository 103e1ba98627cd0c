"""Activation functions, each beside its derivative, and a registry by name.

The tutorials compute a squashing function's slope from the layer's *output*
(`s * (1 - s)` for the sigmoid), so each entry says which one its derivative
takes: ``takes="output"`` or ``takes="input"``. Mixing them up is silently
wrong for sigmoid and tanh, so the layer that uses them reads this field.

Arrays may carry leading population axes; every function is elementwise except
softmax, which works along the last (feature) axis. Every function takes the
array namespace ``xp`` (NumPy by default; see `mlplab.backend`) and uses only
the array API standard, so it runs on any backend.

The registry `ACTIVATIONS` records, beside each function, its aliases, its
ONNX operator (``onnx_op``, read by the exporter) and the weight initializer
that suits it (``init``, read by `MLP(init="auto")`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import numpy as np

from mlplab.registry import Registry

# NumPy converts a Python number operand anew on every call, which costs more than the
# arithmetic itself on arrays as small as the tutorials'. A cached 0-d array of the
# operand's dtype skips that, and keeps float32 results float32.
_ONE = {np.dtype(t): np.ones((), dtype=t) for t in (np.float16, np.float32, np.float64)}
_ZERO = {np.dtype(t): np.zeros((), dtype=t) for t in (np.float16, np.float32, np.float64)}


class ActivationFn(NamedTuple):
    """A forward function with its backward rule.

    ``derivative(saved)`` returns the elementwise slope, where ``saved`` is the
    forward's input or output as ``takes`` says. Softmax is not elementwise and
    gives ``vjp(grad, output)``, the vector-Jacobian product, instead. Each
    function also takes ``xp=``, the array namespace (NumPy by default).

    ``numpy_forward`` and ``numpy_derivative``, where given, are the same
    functions specialised for NumPy arrays of at least one dimension (in place,
    with cached constants; the same numbers): the activation layer uses them
    on NumPy, its one fast path.
    """

    forward: Callable[..., np.ndarray]
    derivative: Callable[..., np.ndarray] | None
    takes: Literal["input", "output"]
    vjp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
    numpy_forward: Callable[[np.ndarray], np.ndarray] | None = None
    numpy_derivative: Callable[[np.ndarray], np.ndarray] | None = None


def sigmoid(x: Any, xp: Any = np) -> Any:
    """Logistic function 1 / (1 + exp(-x)), written as the tutorials write it.

    This form reproduces the tutorials' numbers bit for bit. For x < -709,
    exp(-x) overflows to inf and the result is exactly 0, which is right; the
    model and training loop silence that one overflow warning around the whole
    pass instead of paying for `np.errstate` on every call.
    """
    return 1.0 / (1.0 + xp.exp(-x))


def _sigmoid_numpy(x: np.ndarray) -> np.ndarray:
    """`sigmoid` on NumPy: the same operations, in place in one temporary."""
    t = np.negative(x)
    np.exp(t, out=t)
    t += _ONE[t.dtype]
    return np.reciprocal(t, out=t)


def sigmoid_derivative_from_output(s: Any, xp: Any = np) -> Any:
    """Slope of the sigmoid given its output s: s * (1 - s)."""
    slope = 1.0 - s
    slope *= s
    return slope


def _sigmoid_derivative_numpy(s: np.ndarray) -> np.ndarray:
    slope = _ONE[s.dtype] - s
    slope *= s
    return slope


def tanh(x: Any, xp: Any = np) -> Any:
    """Hyperbolic tangent."""
    return xp.tanh(x)


def tanh_derivative_from_output(t: Any, xp: Any = np) -> Any:
    """Slope of tanh given its output t: 1 - t**2."""
    return 1.0 - t * t


def _tanh_derivative_numpy(t: np.ndarray) -> np.ndarray:
    return _ONE[t.dtype] - t * t


def relu(x: Any, xp: Any = np) -> Any:
    """Rectified linear unit max(x, 0)."""
    return xp.maximum(x, 0.0)


def _relu_numpy(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, _ZERO[x.dtype])


def relu_derivative_from_output(r: Any, xp: Any = np) -> Any:
    """Slope of ReLU given its output r: 1 where r > 0, else 0 (0 at the kink)."""
    return xp.astype(r > 0, r.dtype)


def leaky_relu(x: Any, slope: float = 0.01, xp: Any = np) -> Any:
    """x for x > 0, slope * x otherwise."""
    return xp.where(x > 0, x, slope * x)


def leaky_relu_derivative_from_input(x: Any, slope: float = 0.01, xp: Any = np) -> Any:
    """Slope of leaky ReLU given its input x: 1 where x > 0, else `slope`."""
    return xp.where(x > 0, xp.ones_like(x), xp.full_like(x, slope))


def linear(x: Any, xp: Any = np) -> Any:
    """The identity: a layer with no squashing (regression outputs)."""
    return x


def linear_vjp(grad: Any, _output: Any, xp: Any = np) -> Any:
    """The identity's slope is 1, so the gradient passes through unchanged."""
    return grad


def softmax(x: Any, xp: Any = np) -> Any:
    """exp(x) / sum(exp(x)) along the last axis, shifted by the max for stability."""
    e = xp.exp(x - xp.max(x, axis=-1, keepdims=True))
    return e / xp.sum(e, axis=-1, keepdims=True)


def softmax_vjp(grad: Any, s: Any, xp: Any = np) -> Any:
    """Gradient through softmax given its output s: s * (grad - sum(grad * s))."""
    return s * (grad - xp.sum(grad * s, axis=-1, keepdims=True))


ACTIVATIONS = Registry("activation")
ACTIVATIONS.add("sigmoid", ActivationFn(sigmoid, sigmoid_derivative_from_output, "output",
                                        numpy_forward=_sigmoid_numpy,
                                        numpy_derivative=_sigmoid_derivative_numpy),
                aliases=["logistic"], onnx_op="Sigmoid", init="glorot_uniform")
ACTIVATIONS.add("tanh", ActivationFn(tanh, tanh_derivative_from_output, "output",
                                     numpy_forward=np.tanh,
                                     numpy_derivative=_tanh_derivative_numpy),
                onnx_op="Tanh", init="glorot_uniform")
ACTIVATIONS.add("relu", ActivationFn(relu, relu_derivative_from_output, "output",
                                     numpy_forward=_relu_numpy),
                onnx_op="Relu", init="he_uniform")
ACTIVATIONS.add("leaky_relu", ActivationFn(leaky_relu, leaky_relu_derivative_from_input,
                                           "input"),
                onnx_op="LeakyRelu", onnx_attributes={"slope": "alpha"}, init="he_uniform")
ACTIVATIONS.add("linear", ActivationFn(linear, None, "output", vjp=linear_vjp),
                aliases=["identity"], onnx_op="Identity", init="glorot_uniform")
ACTIVATIONS.add("softmax", ActivationFn(softmax, None, "output", vjp=softmax_vjp),
                onnx_op="Softmax", onnx_attributes={"axis": -1}, init="glorot_uniform")


def get_activation(name: str, *, owner: str = "Activation",
                   parameter: str = "activation") -> ActivationFn:
    """Look up an activation by name or alias (see ACTIVATIONS.aliases)."""
    return ACTIVATIONS.lookup(name, owner=owner, parameter=parameter)


def canonical_activation(name: str, *, owner: str = "Activation",
                         parameter: str = "activation") -> str:
    """The registry's name for `name` or one of its aliases."""
    return ACTIVATIONS.canonical(name, owner=owner, parameter=parameter)
