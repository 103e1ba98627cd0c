"""Momentum: the heavy ball (Polyak, 1964) and Nesterov's look-ahead (Sutskever et al., 2013)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.optim._hyperparameters import (
    check_bool,
    check_fraction,
    check_population,
    hyperparameter,
)
from mlplab.optim.base import GradientTransformation, Params


class MomentumState(NamedTuple):
    """The velocity b of every parameter, in the order of `params`."""

    velocity: tuple[np.ndarray, ...]


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
    mu = hyperparameter(momentum)

    def init(params: Params) -> MomentumState:
        check_population(owner, params, momentum=momentum)
        return MomentumState(tuple(np.zeros_like(p) for p in params))

    def update(grads: Params, state: MomentumState, params: Params | None = None
               ) -> tuple[Params, MomentumState]:
        velocity = []
        for g, b in zip(grads, state.velocity, strict=True):
            b = mu(b) * b
            b += g
            velocity.append(b)
        if nesterov:
            updates = [g + mu(b) * b for g, b in zip(grads, velocity, strict=True)]
        else:
            updates = list(velocity)
        return updates, MomentumState(tuple(velocity))

    return GradientTransformation(init, update)
