"""RMSprop: divide each gradient by a running root mean square (Hinton, lecture 6e, 2012)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import (
    check_bool,
    check_fraction,
    check_population,
    check_positive,
    hyperparameter,
)
from mlplab.optim.base import GradientTransformation, Params, chain
from mlplab.optim.momentum import scale_by_momentum
from mlplab.optim.schedules import scale_by_learning_rate


class RMSpropState(NamedTuple):
    """Running averages of g^2 and, when centered, of g (else an empty tuple)."""

    mean_square: tuple[np.ndarray, ...]
    mean_grad: tuple[np.ndarray, ...]


def scale_by_rms(decay: Any = 0.99, eps: Any = 1e-8, *, centered: bool = False,
                 owner: str = "scale_by_rms") -> GradientTransformation:
    """Divide each gradient by the root of a running average of its square.

        v_t = decay * v_{t-1} + (1 - decay) * g_t**2       (v_0 = 0)
        u_t = g_t / (sqrt(v_t) + eps)
        centered:  m_t = decay * m_{t-1} + (1 - decay) * g_t,
                   u_t = g_t / (sqrt(v_t - m_t**2) + eps)    (Graves, 2013)

    Hinton, Srivastava & Swersky, "Neural networks for machine learning",
    lecture 6e, 2012, divides by sqrt(v_t) with no eps; eps outside the root
    and the defaults (decay 0.99, eps 1e-8) are torch.optim.RMSprop's
    (its ``alpha`` is `decay` here). decay and eps: floats or one per model.
    The centered variance v_t - m_t**2 is clamped at 0: with a constant
    gradient rounding can leave it a hair below 0, where PyTorch gives NaN.
    owner: the name that error messages give (the optimizer built on this).
    """
    decay = check_fraction("decay", owner, decay)
    eps = check_positive("eps", owner, eps)
    centered = check_bool("centered", owner, centered)
    decay_like, keep_like = hyperparameter(decay), hyperparameter(1 - decay)
    eps_like = hyperparameter(eps)

    def init(params: Params) -> RMSpropState:
        check_population(owner, params, decay=decay, eps=eps)
        means = tuple(np.zeros_like(p) for p in params) if centered else ()
        return RMSpropState(tuple(np.zeros_like(p) for p in params), means)

    def update(grads: Params, state: RMSpropState, params: Params | None = None
               ) -> tuple[Params, RMSpropState]:
        squares, means, updates = [], [], []
        for i, g in enumerate(grads):
            v = g * g
            v *= keep_like(g)
            v += decay_like(g) * state.mean_square[i]
            squares.append(v)
            if centered:
                m = state.mean_grad[i]
                m = m + keep_like(g) * (g - m)  # PyTorch's lerp form of the same average
                means.append(m)
                v = v - m * m
                np.maximum(v, 0.0, out=v)  # a variance, though rounding can dip below 0
            root = np.sqrt(v)
            root += eps_like(g)
            updates.append(np.divide(g, root, out=root))
        return updates, RMSpropState(tuple(squares), tuple(means))

    return GradientTransformation(init, update)


def rmsprop(alpha: Any = 0.01, *, decay: Any = 0.99, eps: Any = 1e-8, centered: bool = False,
            momentum: Any = 0.0) -> GradientTransformation:
    """RMSprop (Hinton, 2012): W <- W - alpha * g / (sqrt(v) + eps), v a running mean of g**2.

    With momentum mu > 0 the scaled gradients feed a velocity first,
    b = mu * b + g / (sqrt(v) + eps), W <- W - alpha * b, as in torch.optim.RMSprop.
    alpha: a float > 0, one value per model, or a schedule; see `scale_by_rms`.
    """
    links = [scale_by_rms(decay, eps, centered=centered, owner="rmsprop")]
    momentum = check_fraction("momentum", "rmsprop", momentum)
    if np.any(np.asarray(momentum) != 0):
        links.append(scale_by_momentum(momentum, owner="rmsprop"))
    return chain(*links, scale_by_learning_rate(alpha, owner="rmsprop"))
