"""AdaMax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm in place of the L2 norm."""

from __future__ import annotations

from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_fraction, check_positive
from mlplab.optim._lift import per_array, per_member
from mlplab.optim.base import GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import with_learning_rate


class AdamaxState(NamedTuple):
    """Step count t, the first moment m and the exponentially weighted infinity norm u."""

    count: int
    mu: tuple[Any, ...]
    nu_inf: tuple[Any, ...]


def adamax_rule(xp: Any, g: Any, m: Any, u: Any, beta1: Any, one_minus_beta1: Any,
                beta2: Any, eps: Any, step_size: Any) -> tuple:
    """One array's AdaMax step, step_size = 1 / (1 - beta1**t).

        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        update = step_size * m / u
    """
    m = beta1 * m  # fresh arrays, then in place: the last step's state stays as it was
    m += one_minus_beta1 * g
    u = xp.maximum(beta2 * u, xp.abs(g) + eps)
    update = m / u
    update *= step_size
    return update, m, u


def scale_by_adamax(beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8, *,
                    owner: str = "scale_by_adamax") -> GradientTransformation:
    """Divide the bias-corrected mean gradient by a decaying maximum of |g|.

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t          (m_0 = u_0 = 0)
        u_t = max(beta2 * u_{t-1}, |g_t| + eps)
        update_t = m_t / ((1 - beta1**t) * u_t)

    Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015,
    section 7.1 (Algorithm 2), as torch.optim.Adamax computes it: eps is added
    to |g_t| inside the max, which keeps u_t > 0 from the first step. beta1,
    beta2 in [0, 1) and eps > 0 are floats or one value per model; the bias
    correction is worked out per model in Python floats.
    """
    beta1 = check_fraction("beta1", owner, beta1)
    beta2 = check_fraction("beta2", owner, beta2)
    eps = check_positive("eps", owner, eps)

    def correction(count: int) -> tuple[Any]:
        t = count + 1
        return (per_member(lambda b1: 1 / (1 - b1**t), beta1),)

    return per_array(adamax_rule, AdamaxState, owner=owner,
                     hyperparameters={"beta1": beta1, "one_minus_beta1": 1 - beta1,
                                      "beta2": beta2, "eps": eps},
                     per_step=correction,
                     config=config_of("scale_by_adamax", beta1=beta1, beta2=beta2, eps=eps))


def adamax(alpha: Any = 0.002, *, beta1: Any = 0.9, beta2: Any = 0.999,
           eps: Any = 1e-8, weight_decay: Any = 0.0,
           maximize: bool = False) -> GradientTransformation:
    """AdaMax (Kingma & Ba, 2015): W <- W - alpha / (1 - beta1**t) * m_t / u_t.

    See `scale_by_adamax`; the defaults are the paper's (and torch.optim.Adamax's).
    alpha: a float > 0, one value per model, or a schedule.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    moments = scale_by_adamax(beta1, beta2, eps, owner="adamax")
    return with_learning_rate("adamax", moments, alpha, weight_decay=weight_decay,
                              maximize=maximize)


LINKS.add("scale_by_adamax", scale_by_adamax)
register_optimizer("adamax", adamax)
