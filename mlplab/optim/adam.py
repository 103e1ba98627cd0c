"""Adam (Kingma & Ba, 2015), AMSGrad (Reddi et al., 2018) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from mlplab.optim._hyperparameters import check_bool, check_fraction, check_positive
from mlplab.optim._lift import per_array, per_member
from mlplab.optim.base import GradientTransformation, chain
from mlplab.optim.config import config_of, named_config
from mlplab.optim.maximize import maximizing
from mlplab.optim.penalties import add_decayed_weights
from mlplab.optim.registry import LINKS, register_optimizer
from mlplab.optim.schedules import scale_by_learning_rate, with_learning_rate


class AdamState(NamedTuple):
    """Step count t, the moments m (mean of g) and v (mean of g^2), and AMSGrad's max of v.

    nu_max is an empty tuple unless amsgrad=True.
    """

    count: int
    mu: tuple[Any, ...]
    nu: tuple[Any, ...]
    nu_max: tuple[Any, ...] = ()


def adam_rule(xp: Any, g: Any, m: Any, v: Any, v_max: Any, beta1: Any, one_minus_beta1: Any,
              beta2: Any, one_minus_beta2: Any, step_size: Any, eps_hat: Any) -> tuple:
    """One array's Adam step (Algorithm 1 with section 2's ordering), AMSGrad if v_max given.

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        v_max = max(v_max, v)                         (AMSGrad only; v_max replaces v below)
        u = step_size * m / (sqrt(v) + eps_hat)
    """
    m = beta1 * m  # fresh arrays, then in place: the state of the last step stays as it was
    m += one_minus_beta1 * g
    v = beta2 * v
    v += one_minus_beta2 * (g * g)
    if v_max is not None:
        v_max = xp.maximum(v_max, v)
    u = xp.sqrt(v if v_max is None else v_max)
    u += eps_hat
    u = m / u
    u *= step_size
    return u, m, v, v_max


def _init_adam(amsgrad: bool) -> Any:
    def init(xp: Any, p: Any, *hyperparameters: Any) -> tuple[Any, Any, Any]:
        zeros = xp.zeros_like(p)
        return zeros, zeros, (zeros if amsgrad else None)
    return init


def scale_by_adam(beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8, *,
                  amsgrad: bool = False, owner: str = "scale_by_adam") -> GradientTransformation:
    """Divide the bias-corrected mean gradient by the root of the mean squared gradient.

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t           (m_0 = v_0 = 0)
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        u_t = m_hat / (sqrt(v_hat) + eps),  m_hat = m_t / (1 - beta1**t),
                                            v_hat = v_t / (1 - beta2**t)

    Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015,
    Algorithm 1, as torch.optim.Adam computes it: eps is added to
    sqrt(v_hat), not to sqrt(v_t). The rule (`adam_rule`) uses the paper's
    own faster ordering (its section 2): the two corrections fold into two
    numbers per step, step_size = sqrt(1 - beta2**t) / (1 - beta1**t) and
    eps_hat = eps * sqrt(1 - beta2**t), giving u_t = step_size * m_t /
    (sqrt(v_t) + eps_hat), the same number up to rounding.
    amsgrad: keep v_max = max(v_max, v_t) and use it in place of v_t (Reddi,
    Kale & Kumar, "On the convergence of Adam and beyond", ICLR 2018, as
    torch.optim.Adam(amsgrad=True)). beta1, beta2 in [0, 1) and eps > 0 are
    floats or one value per model; the corrections are worked out per model.
    owner: the name that error messages give (the optimizer built on this).
    """
    beta1 = check_fraction("beta1", owner, beta1)
    beta2 = check_fraction("beta2", owner, beta2)
    eps = check_positive("eps", owner, eps)
    amsgrad = check_bool("amsgrad", owner, amsgrad)

    def corrections(count: int) -> tuple[Any, Any]:
        t = count + 1
        step_size = per_member(lambda b1, b2: math.sqrt(1 - b2**t) / (1 - b1**t), beta1, beta2)
        eps_hat = per_member(lambda b2, e: e * math.sqrt(1 - b2**t), beta2, eps)
        return step_size, eps_hat

    return per_array(adam_rule, AdamState, owner=owner, init=_init_adam(amsgrad),
                     hyperparameters={"beta1": beta1, "one_minus_beta1": 1 - beta1,
                                      "beta2": beta2, "one_minus_beta2": 1 - beta2},
                     per_step=corrections, check={"eps": eps},
                     config=config_of("scale_by_adam", beta1=beta1, beta2=beta2, eps=eps,
                                      amsgrad=amsgrad))


def adam(alpha: Any = 0.001, *, beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8,
         amsgrad: bool = False, weight_decay: Any = 0.0,
         maximize: bool = False) -> GradientTransformation:
    """Adam (Kingma & Ba, 2015): W <- W - alpha * m_hat / (sqrt(v_hat) + eps).

    See `scale_by_adam` for the moments and AMSGrad; the defaults are the
    paper's (and torch.optim.Adam's). alpha: a float > 0, one value per model,
    or a schedule. For decoupled weight decay use `adamw`.
    weight_decay: torch's L2 penalty, g <- g + weight_decay * W before the
    scaling (after maximize's negation, as torch); >= 0, or one per model.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    moments = scale_by_adam(beta1, beta2, eps, amsgrad=amsgrad, owner="adam")
    return with_learning_rate("adam", moments, alpha, weight_decay=weight_decay,
                              maximize=maximize)


def adamw(alpha: Any = 0.001, *, beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8,
          weight_decay: Any = 0.01, amsgrad: bool = False, maximize: bool = False
          ) -> GradientTransformation:
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

        W <- W - alpha * (m_hat / (sqrt(v_hat) + eps) + weight_decay * W)

    Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019,
    Algorithm 2 with the schedule multiplier eta_t = alpha, as in
    torch.optim.AdamW (whose defaults these are). Every hyperparameter may be
    one value per model; alpha may be a schedule, which then scales the decay
    too. amsgrad: see `scale_by_adam`.
    maximize: ascend the objective instead, as torch's ``maximize=True``
    (see `maximizing`).
    """
    moments = scale_by_adam(beta1, beta2, eps, amsgrad=amsgrad, owner="adamw")
    decay = add_decayed_weights(weight_decay, owner="adamw")
    learning_rate = scale_by_learning_rate(alpha, owner="adamw")
    optimizer = named_config(chain(moments, decay, learning_rate), "adamw", learning_rate, moments,
                             decay)
    return maximizing(optimizer, maximize, "adamw")


LINKS.add("scale_by_adam", scale_by_adam)
register_optimizer("adam", adam)
register_optimizer("adamw", adamw)
