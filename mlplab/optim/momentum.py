"""Momentum: the heavy ball (Polyak, 1964) and Nesterov's look-ahead (Sutskever et al., 2013)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.optim._hyperparameters import check_bool, check_fraction
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS


class MomentumState(NamedTuple):
    """The velocity b of every parameter, in the order of `params`."""

    velocity: tuple[Any, ...]


class DampedMomentumState(NamedTuple):
    """The step count (the first step starts the velocity) and the velocity b of every parameter."""

    count: int
    velocity: tuple[Any, ...]


def heavy_ball(xp: Any, g: Any, b: Any, mu: Any) -> tuple[Any, Any]:
    """b_t = mu * b_{t-1} + g_t; u_t = b_t (Polyak, 1964)."""
    b = mu * b + g
    return b, b


def nesterov_look_ahead(xp: Any, g: Any, b: Any, mu: Any) -> tuple[Any, Any]:
    """b_t = mu * b_{t-1} + g_t; u_t = g_t + mu * b_t (Sutskever et al., 2013)."""
    b = mu * b + g
    return g + mu * b, b


def damped_heavy_ball(xp: Any, g: Any, b: Any, mu: Any, one_minus_dampening: Any,
                      first: float) -> tuple[Any, Any]:
    """b_1 = g_1, then b_t = mu * b_{t-1} + (1 - dampening) * g_t; u_t = b_t (torch.optim.SGD)."""
    b = g + 0 * b if first else mu * b + one_minus_dampening * g  # g + 0 * b: a fresh array
    return b, b


def undamped(momentum: Any, dampening: Any) -> Any:
    """1 - dampening per model, and 1 where momentum is 0: torch then keeps no velocity (u = g)."""
    factor = np.where(np.asarray(momentum) == 0, 1.0, 1.0 - np.asarray(dampening, dtype=float))
    return float(factor) if factor.ndim == 0 else factor


def scale_by_momentum(momentum: Any = 0.9, *, nesterov: bool = False, dampening: Any = 0.0,
                      owner: str = "scale_by_momentum") -> GradientTransformation:
    """Replace each gradient g by a running sum of past gradients (the velocity b).

        b_t = mu * b_{t-1} + g_t         (b_0 = 0, so b_1 = g_1)
        heavy ball:  u_t = b_t                                  (Polyak, 1964)
        Nesterov:    u_t = g_t + mu * b_t                 (Sutskever et al., 2013)

    mu = `momentum` in [0, 1), a float or one value per model. This is
    PyTorch's form (torch.optim.SGD with dampening 0): the velocity sums raw
    gradients and the learning rate multiplies afterwards, where Polyak's and
    Sutskever's ``v = mu v - alpha g`` folds it in; the two agree while alpha
    is constant. The Nesterov line is Sutskever's look-ahead rewritten in
    terms of the current weights (Bengio et al., 2013).
    dampening in [0, 1] (a float or one per model) damps every gradient after
    the first, as torch.optim.SGD: b_1 = g_1, b_t = mu * b_{t-1} + (1 - dampening) * g_t;
    the state then counts the steps. Nesterov takes no dampening (torch refuses it too).
    owner: the name that error messages give (the optimizer built on this).
    """
    momentum = check_fraction("momentum", owner, momentum)
    nesterov = check_bool("nesterov", owner, nesterov)
    dampening = check_number("dampening", owner, dampening, low=0.0, low_open=False, high=1.0)
    if nesterov and np.any(np.asarray(momentum) == 0):
        raise invalid("momentum", owner, "> 0 when nesterov=True", momentum)
    if np.any(np.asarray(dampening) != 0):
        if nesterov:
            raise invalid("dampening", owner, "0 when nesterov=True", dampening)
        return per_array(damped_heavy_ball, DampedMomentumState, owner=owner,
                         hyperparameters={"momentum": momentum,
                                          "one_minus_dampening": undamped(momentum, dampening)},
                         per_step=lambda count: (float(count == 0),),
                         config=config_of("scale_by_momentum", momentum=momentum,
                                          nesterov=nesterov, dampening=dampening))
    return per_array(nesterov_look_ahead if nesterov else heavy_ball, MomentumState,
                     owner=owner, hyperparameters={"momentum": momentum},
                     config=config_of("scale_by_momentum", momentum=momentum,
                                      nesterov=nesterov))


LINKS.add("scale_by_momentum", scale_by_momentum)
