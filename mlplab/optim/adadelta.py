"""AdaDelta: step sizes from running averages of squared gradients and steps (Zeiler, 2012)."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_fraction, check_positive
from mlplab.optim._lift import per_array
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import with_learning_rate


class AdadeltaState(NamedTuple):
    """Running averages of squared gradients E[g^2] and of squared steps E[dx^2]."""

    mean_square_grad: tuple[Any, ...]
    mean_square_step: tuple[Any, ...]


def adadelta_rule(xp: Any, g: Any, Eg: Any, Edx: Any, rho: Any, one_minus_rho: Any,
                  eps: Any) -> tuple:
    """Zeiler's Algorithm 1 for one array; u = dx."""
    Eg = rho * Eg + one_minus_rho * (g * g)
    dx = xp.sqrt(Edx + eps) / xp.sqrt(Eg + eps) * g
    Edx = rho * Edx + one_minus_rho * (dx * dx)
    return dx, Eg, Edx


def scale_by_adadelta(rho: Any = 0.9, eps: Any = 1e-6, *, owner: str = "scale_by_adadelta"
                      ) -> GradientTransformation:
    """Scale each gradient by RMS[dx]_{t-1} / RMS[g]_t, units matched to the weights.

        E[g^2]_t  = rho * E[g^2]_{t-1}  + (1 - rho) * g_t**2
        dx_t      = sqrt(E[dx^2]_{t-1} + eps) / sqrt(E[g^2]_t + eps) * g_t
        E[dx^2]_t = rho * E[dx^2]_{t-1} + (1 - rho) * dx_t**2
        u_t       = dx_t                     (both averages start at 0)

    Zeiler, "ADADELTA: An adaptive learning rate method", arXiv:1212.5701,
    2012 (Algorithm 1). rho in [0, 1) and eps > 0 are floats or one per model;
    the defaults 0.9 and 1e-6 are torch.optim.Adadelta's (Zeiler used 0.95).
    owner: the name that error messages give (the optimizer built on this).
    """
    rho = check_fraction("rho", owner, rho)
    eps = check_positive("eps", owner, eps)
    return per_array(adadelta_rule, AdadeltaState, owner=owner,
                     hyperparameters={"rho": rho, "one_minus_rho": 1 - rho, "eps": eps},
                     config=config_of("scale_by_adadelta", rho=rho, eps=eps))


def adadelta(alpha: Any = 1.0, *, rho: Any = 0.9, eps: Any = 1e-6, weight_decay: Any = 0.0,
             maximize: bool = False) -> GradientTransformation:
    """AdaDelta (Zeiler, 2012): W <- W - alpha * dx, dx from `scale_by_adadelta`.

    Zeiler's method has no learning rate (alpha = 1, the default); alpha is
    PyTorch's extra factor, applied after dx enters E[dx^2] as in
    torch.optim.Adadelta. alpha: a float > 0, one value per model, or a schedule.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    scaling = scale_by_adadelta(rho, eps, owner="adadelta")
    return with_learning_rate("adadelta", scaling, alpha, weight_decay=weight_decay,
                              maximize=maximize)


LINKS.add("scale_by_adadelta", scale_by_adadelta)
register_optimizer("adadelta", adadelta)
