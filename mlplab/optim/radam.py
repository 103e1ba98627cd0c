"""RAdam (Liu et al., 2020): Adam whose adaptive step is rectified for its early variance."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_fraction, check_positive
from mlplab.optim._lift import per_array, per_member
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import with_learning_rate


class RAdamState(NamedTuple):
    """Step count t and the moments m (mean of g) and v (mean of g^2)."""

    count: int
    mu: tuple[Any, ...]
    nu: tuple[Any, ...]


def radam_rule(xp: Any, g: Any, m: Any, v: Any, beta1: Any, one_minus_beta1: Any, beta2: Any,
               one_minus_beta2: Any, eps: Any, adaptive: Any, plain: Any) -> tuple:
    """One array's RAdam step; per model one of `adaptive`, `plain` is 0.

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        update = m * (adaptive / (sqrt(v) + eps) + plain)

    adaptive = r_t * sqrt(1 - beta2**t) / (1 - beta1**t) where rho_t > 5, else 0;
    plain = 1 / (1 - beta1**t) where rho_t <= 5, else 0. One formula for both
    cases lets each model of a population take its own branch.
    """
    m = beta1 * m  # fresh arrays, then in place: the last step's state stays as it was
    m += one_minus_beta1 * g
    v = beta2 * v
    v += one_minus_beta2 * (g * g)
    if isinstance(adaptive, float) and adaptive == 0.0:  # early steps: no need for sqrt(v)
        return plain * m, m, v  # what the formula below gives, bit for bit
    update = xp.sqrt(v)
    update += eps
    update = adaptive / update
    update += plain
    update *= m
    return update, m, v


def rectification(beta1: float, beta2: float, t: int) -> tuple[float, float]:
    """(adaptive, plain) factors of step t for one model, as torch.optim.RAdam decides them.

    rho_inf = 2 / (1 - beta2) - 1 is the longest length of the simple moving
    average that Adam's v approximates, rho_t its length at step t; where
    rho_t > 5 the variance of the adaptive step is finite and r_t rescales it.
    """
    bias_correction1, bias_correction2 = 1 - beta1**t, 1 - beta2**t
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / bias_correction2
    if rho_t <= 5:
        return 0.0, 1 / bias_correction1
    r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return r_t * math.sqrt(bias_correction2) / bias_correction1, 0.0


def scale_by_radam(beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8, *,
                   owner: str = "scale_by_radam") -> GradientTransformation:
    """Adam's moments with the adaptive step switched on and rectified by r_t.

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t           (m_0 = v_0 = 0)
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        m_hat = m_t / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
            update_t = r_t * m_hat * sqrt(1 - beta2**t) / (sqrt(v_t) + eps)
        else:
            update_t = m_hat                                 (momentum SGD)

    Liu, Jiang, He, Chen, Liu, Gao & Han, "On the variance of the adaptive
    learning rate and beyond", ICLR 2020, Algorithm 2, as torch.optim.RAdam
    computes it (eps added to sqrt(v_t)). beta1, beta2 in [0, 1) and eps > 0
    are floats or one value per model; rho_t, r_t and the corrections are
    worked out per model in Python floats, so each model takes its own branch.
    """
    beta1 = check_fraction("beta1", owner, beta1)
    beta2 = check_fraction("beta2", owner, beta2)
    eps = check_positive("eps", owner, eps)

    def factors(count: int) -> tuple[Any, Any]:
        t = count + 1
        adaptive = per_member(lambda b1, b2: rectification(b1, b2, t)[0], beta1, beta2)
        plain = per_member(lambda b1, b2: rectification(b1, b2, t)[1], beta1, beta2)
        return adaptive, plain

    return per_array(radam_rule, RAdamState, owner=owner,
                     hyperparameters={"beta1": beta1, "one_minus_beta1": 1 - beta1,
                                      "beta2": beta2, "one_minus_beta2": 1 - beta2, "eps": eps},
                     per_step=factors,
                     config=config_of("scale_by_radam", beta1=beta1, beta2=beta2, eps=eps))


def radam(alpha: Any = 0.001, *, beta1: Any = 0.9, beta2: Any = 0.999,
          eps: Any = 1e-8, weight_decay: Any = 0.0,
          maximize: bool = False) -> GradientTransformation:
    """RAdam (Liu et al., 2020): W <- W - alpha * update_t of `scale_by_radam`.

    The defaults are torch.optim.RAdam's. alpha: a float > 0, one value per
    model, or a schedule.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    moments = scale_by_radam(beta1, beta2, eps, owner="radam")
    return with_learning_rate("radam", moments, alpha, weight_decay=weight_decay,
                              maximize=maximize)


LINKS.add("scale_by_radam", scale_by_radam)
register_optimizer("radam", radam)
