"""Rprop (Riedmiller & Braun, 1993): each weight's step follows its gradient's sign."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.optim._hyperparameters import check_nonnegative, check_positive
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.maximize import maximizing
from mlplab.optim.registry import register_optimizer


class RpropState(NamedTuple):
    """Every weight's step size, and the gradient of the last step (zero where its sign flipped)."""

    step_size: tuple[Any, ...]
    previous: tuple[Any, ...]


def rprop_rule(xp: Any, g: Any, step_size: Any, previous: Any, alpha: Any, eta_minus: Any,
               eta_plus: Any, step_min: Any, step_max: Any) -> tuple[Any, Any, Any]:
    """One array's Rprop step (torch.optim.Rprop's variant, Rprop without weight-backtracking).

        s = g * g_prev:  step *= eta_plus where s > 0, eta_minus where s < 0
        step = clip(step, step_min, step_max);  g = 0 where s < 0
        u = -sign(g) * step;  g_prev = g
    """
    product = g * previous
    flipped = product < 0
    factor = xp.where(product > 0, eta_plus, xp.where(flipped, eta_minus, xp.ones_like(g)))
    step_size = xp.clip(step_size * factor, step_min, step_max)
    g = xp.where(flipped, 0.0, g)  # after a sign flip, wait a step before moving again
    return -(xp.sign(g) * step_size), step_size, g


def _init_rprop(xp: Any, p: Any, alpha: Any, *rest: Any) -> tuple[Any, Any]:
    """Every step size starts at alpha, the previous gradient at 0."""
    return xp.zeros_like(p) + alpha, xp.zeros_like(p)


def _check_pair(name: str, value: Any, expected: str, ok: Any) -> tuple[Any, Any]:
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise invalid(name, "rprop", expected, value)
    low = check_nonnegative(name, "rprop", value[0])
    high = check_positive(name, "rprop", value[1])
    if not ok(np.asarray(low), np.asarray(high)):
        raise invalid(name, "rprop", expected, value)
    return low, high


def rprop(alpha: Any = 0.01, *, etas: tuple[Any, Any] = (0.5, 1.2),
          step_sizes: tuple[Any, Any] = (1e-6, 50.0), maximize: bool = False
          ) -> GradientTransformation:
    """Rprop: W <- W - sign(g) * step, each weight's step adapted by the gradient's sign.

        step_t = clip(step_{t-1} * (eta_plus if g_t g_{t-1} > 0, eta_minus if < 0, else 1),
                      step_min, step_max)                    (step_0 = alpha)
        W <- W - sign(g_t) * step_t, with g_t := 0 where g_t g_{t-1} < 0

    Riedmiller & Braun, "A direct adaptive method for faster backpropagation
    learning: the RPROP algorithm", ICNN 1993, as torch.optim.Rprop (whose
    defaults these are). Meant for full batches: only the gradient's sign is
    used. alpha > 0 (the first step size), etas = (eta_minus, eta_plus) with
    0 < eta_minus < 1 < eta_plus, step_sizes = (step_min, step_max) with
    0 <= step_min <= step_max; each number may be one value per model.
    maximize: ascend instead (see `maximizing`).
    """
    alpha = check_positive("alpha", "rprop", alpha)
    eta_minus, eta_plus = _check_pair(
        "etas", etas, "a pair (eta_minus, eta_plus) with 0 < eta_minus < 1 < eta_plus",
        lambda low, high: np.all(low > 0) and np.all(low < 1) and np.all(high > 1))
    step_min, step_max = _check_pair(
        "step_sizes", step_sizes, "a pair (step_min, step_max) with 0 <= step_min <= step_max",
        lambda low, high: np.all(low <= high))
    config = config_of("rprop", alpha=alpha, etas=[eta_minus, eta_plus],
                       step_sizes=[step_min, step_max])
    optimizer = per_array(rprop_rule, RpropState, owner="rprop", init=_init_rprop,
                          hyperparameters={"alpha": alpha, "eta_minus": eta_minus,
                                           "eta_plus": eta_plus, "step_min": step_min,
                                           "step_max": step_max}, config=config)
    return maximizing(optimizer, maximize, "rprop")


register_optimizer("rprop", rprop)
