"""Momentum: the heavy ball (Polyak, 1964) and Nesterov's look-ahead (Sutskever et al., 2013)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.optim._hyperparameters import check_bool, check_fraction
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS


class MomentumState(NamedTuple):
    """The velocity b of every parameter, in the order of `params`."""

    velocity: tuple[Any, ...]


def heavy_ball(xp: Any, g: Any, b: Any, mu: Any) -> tuple[Any, Any]:
    """b_t = mu * b_{t-1} + g_t; u_t = b_t (Polyak, 1964)."""
    b = mu * b + g
    return b, b


def nesterov_look_ahead(xp: Any, g: Any, b: Any, mu: Any) -> tuple[Any, Any]:
    """b_t = mu * b_{t-1} + g_t; u_t = g_t + mu * b_t (Sutskever et al., 2013)."""
    b = mu * b + g
    return g + mu * b, b


def scale_by_momentum(momentum: Any = 0.9, *, nesterov: bool = False,
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
    owner: the name that error messages give (the optimizer built on this).
    """
    momentum = check_fraction("momentum", owner, momentum)
    nesterov = check_bool("nesterov", owner, nesterov)
    if nesterov and np.any(np.asarray(momentum) == 0):
        raise invalid("momentum", owner, "> 0 when nesterov=True", momentum)
    return per_array(nesterov_look_ahead if nesterov else heavy_ball, MomentumState,
                     owner=owner, hyperparameters={"momentum": momentum},
                     config=config_of("scale_by_momentum", momentum=momentum,
                                      nesterov=nesterov))


LINKS.add("scale_by_momentum", scale_by_momentum)
