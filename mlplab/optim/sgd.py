"""Plain gradient descent, the tutorials' update rule, with PyTorch's SGD options."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from mlplab._checks import check_number
from mlplab.optim._hyperparameters import check_bool, check_fraction, check_nonnegative
from mlplab.optim.base import GradientTransformation, chain
from mlplab.optim.config import config_of
from mlplab.optim.maximize import maximizing
from mlplab.optim.momentum import scale_by_momentum
from mlplab.optim.penalties import l2_penalty
from mlplab.optim.registry import register_optimizer
from mlplab.optim.schedules import scale_by_learning_rate


def sgd(alpha: Any = 0.01, *, momentum: Any = 0.0, dampening: Any = 0.0, nesterov: bool = False,
        weight_decay: Any = 0.0, maximize: bool = False) -> GradientTransformation:
    """Gradient descent: W <- W - alpha * dL/dW for every parameter.

    alpha: the step size, > 0; a scalar, one value per model of a population,
    or a schedule ``step -> alpha``.
    (Robbins & Monro, 1951; the tutorials' ``synapse -= alpha * update``.)

    The options are torch.optim.SGD's, applied in its order: g = -dL/dW with
    maximize=True; g = g + weight_decay * W; b = momentum * b + (1 - dampening) * g
    (b = g at the first step); W <- W - alpha * b, or W - alpha * (g + momentum * b)
    with nesterov=True (see `scale_by_momentum`, `l2_penalty`, `maximizing`).
    momentum in [0, 1), dampening in [0, 1] and weight_decay >= 0 may be one
    value per model too. With none of them this is ``scale(-alpha)``, the
    tutorials' numbers bit for bit. The config names dampening and maximize
    only when they are set, so older configs and checkpoints still match.
    """
    momentum = check_fraction("momentum", "sgd", momentum)
    dampening = check_number("dampening", "sgd", dampening, low=0.0, low_open=False, high=1.0)
    weight_decay = check_nonnegative("weight_decay", "sgd", weight_decay)
    nesterov = check_bool("nesterov", "sgd", nesterov)
    links = []
    if np.any(np.asarray(weight_decay) != 0):
        links.append(l2_penalty(weight_decay))
    if nesterov or np.any(np.asarray(momentum) != 0):
        links.append(scale_by_momentum(momentum, nesterov=nesterov, dampening=dampening,
                                       owner="sgd"))
    learning_rate = scale_by_learning_rate(alpha, owner="sgd")
    optimizer = chain(*links, learning_rate) if links else learning_rate
    extra = {"dampening": dampening} if np.any(np.asarray(dampening) != 0) else {}
    config = config_of("sgd", alpha=alpha, momentum=momentum, **extra, nesterov=nesterov,
                       weight_decay=weight_decay)
    return maximizing(optimizer._replace(config=config), maximize, "sgd")


register_optimizer("sgd", sgd)
register_optimizer("momentum", partial(sgd, momentum=0.9))
register_optimizer("nesterov", partial(sgd, momentum=0.9, nesterov=True))
