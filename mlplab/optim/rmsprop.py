"""RMSprop: divide each gradient by a running root mean square (Hinton, lecture 6e, 2012)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import check_bool, check_fraction, check_positive
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation, chain
from mlplab.optim.config import config_of, named_config
from mlplab.optim.maximize import maximizing
from mlplab.optim.momentum import scale_by_momentum
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import scale_by_learning_rate


class RMSpropState(NamedTuple):
    """Running averages of g^2 and, when centered, of g (else an empty tuple)."""

    mean_square: tuple[Any, ...]
    mean_grad: tuple[Any, ...]


def rms_rule(xp: Any, g: Any, v: Any, m: Any, decay: Any, one_minus_decay: Any,
             eps: Any) -> tuple:
    """v = decay * v + (1 - decay) * g**2;  u = g / (sqrt(v) + eps), centered if m is given.

    Centered: m = m + (1 - decay) * (g - m) (PyTorch's lerp form of the same
    average) and the root is of max(v - m**2, 0).
    """
    v = one_minus_decay * (g * g) + decay * v
    if m is None:
        return g / (xp.sqrt(v) + eps), v, m
    m = m + one_minus_decay * (g - m)
    variance = xp.maximum(v - m * m, 0.0)  # a variance, though rounding can dip below 0
    return g / (xp.sqrt(variance) + eps), v, m


def _init_rms(centered: bool) -> Any:
    def init(xp: Any, p: Any, *hyperparameters: Any) -> tuple[Any, Any]:
        return xp.zeros_like(p), (xp.zeros_like(p) if centered else None)
    return init


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
    return per_array(rms_rule, RMSpropState, owner=owner, init=_init_rms(centered),
                     hyperparameters={"decay": decay, "one_minus_decay": 1 - decay, "eps": eps},
                     config=config_of("scale_by_rms", decay=decay, eps=eps, centered=centered))


def rmsprop(alpha: Any = 0.01, *, decay: Any = 0.99, eps: Any = 1e-8, centered: bool = False,
            momentum: Any = 0.0, maximize: bool = False) -> GradientTransformation:
    """RMSprop (Hinton, 2012): W <- W - alpha * g / (sqrt(v) + eps), v a running mean of g**2.

    With momentum mu > 0 the scaled gradients feed a velocity first,
    b = mu * b + g / (sqrt(v) + eps), W <- W - alpha * b, as in torch.optim.RMSprop.
    alpha: a float > 0, one value per model, or a schedule; see `scale_by_rms`.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    links = [scale_by_rms(decay, eps, centered=centered, owner="rmsprop")]
    momentum = check_fraction("momentum", "rmsprop", momentum)
    if np.any(np.asarray(momentum) != 0):
        links.append(scale_by_momentum(momentum, owner="rmsprop"))
    learning_rate = scale_by_learning_rate(alpha, owner="rmsprop")
    optimizer = named_config(chain(*links, learning_rate), "rmsprop", learning_rate, links[0],
                             momentum=momentum)
    return maximizing(optimizer, maximize, "rmsprop")


LINKS.add("scale_by_rms", scale_by_rms)
register_optimizer("rmsprop", rmsprop)
