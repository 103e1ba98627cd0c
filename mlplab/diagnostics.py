"""Diagnostics: checking backpropagation against finite differences."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.losses import Loss, get_loss
from mlplab.objective import Objective, check_targets
from mlplab.streams import RandomStreams


class ParamCheck(NamedTuple):
    """One parameter's agreement between backprop (analytic) and finite differences (numeric).

    relative_error: ||analytic - numeric|| / (||analytic|| + ||numeric||);
    absolute_error: max |analytic - numeric|, the one to read when the true
    gradient is 0 (a bias just before BatchNorm, say), where any rounding noise
    in the numeric gradient makes the relative error near 1.
    """

    layer: int
    name: str
    relative_error: float
    absolute_error: float


def gradient_check(model: Any, X: Any, y: Any, *, loss: str | Loss = "mse",
                   eps: float = 1e-6, seed: Any = 0) -> list[ParamCheck]:
    """Compare backprop with central finite differences, per parameter array.

    The model's parameters are perturbed one entry at a time by +-eps (in
    float64; they and any running statistics are restored afterwards) and the
    loss, summed over a population, is differenced. Random layers (Dropout)
    draw from streams made from `seed` and rewound before every pass, so every
    pass sees the same masks and the loss is a fixed function of the weights.
    Returns one ParamCheck per parameter, in the order of ``model.params``;
    errors below ~1e-7 mean the gradients agree. Needs a NumPy float64 model.
    """
    loss = get_loss(loss, owner="gradient_check")
    if not model.backend.is_numpy:
        raise invalid("model", "gradient_check", "a NumPy model (call model.to_numpy() first)",
                      f"a model on {model.backend.name}", raw=True)
    X = np.asarray(model.check_input(X, "X", "gradient_check"), dtype=np.float64)
    y = np.asarray(check_targets(model, y, X.shape[0], loss, "gradient_check"),
                   dtype=np.float64)
    if any(p.dtype != np.float64 for p in model.params):
        raise invalid("model", "gradient_check", "a float64 model (dtype='float64')",
                      f"parameters of dtype {model.params[0].dtype}", raw=True)
    step = _FixedDraws(model, loss, X, y, seed)
    original, buffers = [p.copy() for p in model.params], model.get_buffers()
    try:
        _, _, analytic = step.gradients(X, y)
        analytic = [g.copy() for g in analytic]
        numeric = [_numeric_gradient(step, p, X, y, eps) for p in model.params]
    finally:  # the training-mode passes also moved running statistics: put those back too
        model.set_weights(original)
        model.set_buffers(buffers)
    return [ParamCheck(i, name, _relative_error(a, n), float(np.max(np.abs(a - n))))
            for (i, name), a, n in zip(_param_names(model), analytic, numeric, strict=True)]


class _FixedDraws(Objective):
    """An Objective whose random layers draw the same numbers on every pass."""

    def __init__(self, model: Any, loss: Loss, X: Any, y: Any, seed: Any) -> None:
        super().__init__(model, loss, X, y)
        self.streams = RandomStreams(model, seed)
        self.start = self.streams.state()
        self.rngs = self.streams.per_layer

    def gradients(self, xb: Any, yb: Any, *, training: bool = True) -> Any:
        self.streams.set_state(self.start)
        return super().gradients(xb, yb, training=training)


def _numeric_gradient(step: Any, p: np.ndarray, X: np.ndarray, y: np.ndarray,
                      eps: float) -> np.ndarray:
    grad = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        saved = p[index]
        p[index] = saved + eps
        plus = np.sum(step.gradients(X, y)[1])
        p[index] = saved - eps
        minus = np.sum(step.gradients(X, y)[1])
        p[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def _relative_error(a: np.ndarray, n: np.ndarray) -> float:
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - n) / scale)


def _param_names(model: Any) -> list[tuple[int, str]]:
    return [(i, name) for i, layer in enumerate(model.layers)
            for name, _ in zip(layer.param_names, layer.params, strict=False)]


def param_labels(model: Any) -> list[str]:
    """A name for each parameter array, in `params` order: "layer 0 W", "layer 0 b", ...

    The layer number is the position in ``model.layers``, as in `gradient_check`.
    """
    return [f"layer {i} {name}" for i, name in _param_names(model)]
