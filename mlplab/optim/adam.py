"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import (
    check_fraction,
    check_population,
    check_positive,
    hyperparameter,
    per_step,
)
from mlplab.optim.base import GradientTransformation, Params, chain
from mlplab.optim.penalties import add_decayed_weights
from mlplab.optim.schedules import scale_by_learning_rate


class AdamState(NamedTuple):
    """Step count t and the moment estimates m (mean of g) and v (mean of g^2)."""

    count: int
    mu: tuple[np.ndarray, ...]
    nu: tuple[np.ndarray, ...]


def scale_by_adam(beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8, *,
                  owner: str = "scale_by_adam") -> GradientTransformation:
    """Divide the bias-corrected mean gradient by the root of the mean squared gradient.

        m_t = beta1 * m_{t-1} + (1 - beta1) * g_t           (m_0 = v_0 = 0)
        v_t = beta2 * v_{t-1} + (1 - beta2) * g_t**2
        u_t = m_hat / (sqrt(v_hat) + eps),  m_hat = m_t / (1 - beta1**t),
                                            v_hat = v_t / (1 - beta2**t)

    Kingma & Ba, "Adam: A method for stochastic optimization", ICLR 2015,
    Algorithm 1, as torch.optim.Adam computes it: eps is added to
    sqrt(v_hat), not to sqrt(v_t) as in the paper's faster variant (its
    section 2); the code folds both corrections into one factor per step,
    which is the same number up to rounding. beta1, beta2 in [0, 1) and
    eps > 0 are floats or one value per model.
    owner: the name that error messages give (the optimizer built on this).
    """
    beta1 = check_fraction("beta1", owner, beta1)
    beta2 = check_fraction("beta2", owner, beta2)
    eps = check_positive("eps", owner, eps)
    b1_like, c1_like = hyperparameter(beta1), hyperparameter(1 - beta1)
    b2_like, c2_like = hyperparameter(beta2), hyperparameter(1 - beta2)
    scalar = np.ndim(beta1) == np.ndim(beta2) == np.ndim(eps) == 0
    root = math.sqrt if np.ndim(beta2) == 0 else np.sqrt

    def init(params: Params) -> AdamState:
        check_population(owner, params, beta1=beta1, beta2=beta2, eps=eps)
        zeros = tuple(np.zeros_like(p) for p in params)
        return AdamState(0, zeros, zeros)

    def update(grads: Params, state: AdamState, params: Params | None = None
               ) -> tuple[Params, AdamState]:
        t = state.count + 1
        # m_hat / (sqrt(v_hat) + eps) = (r / c) * m / (sqrt(v) + eps * r), with
        # c = 1 - beta1**t and r = sqrt(1 - beta2**t): two numbers per step, not per weight.
        r = root(1 - beta2**t)
        step_size, eps_t = r / (1 - beta1**t), eps * r
        mus, nus, updates = [], [], []
        for g, m, v in zip(grads, state.mu, state.nu, strict=True):
            m = b1_like(g) * m
            m += c1_like(g) * g
            v = b2_like(g) * v
            v += c2_like(g) * (g * g)
            step = np.sqrt(v)
            step += eps_t if scalar else per_step(eps_t, g)
            np.divide(m, step, out=step)
            step *= step_size if scalar else per_step(step_size, g)
            mus.append(m)
            nus.append(v)
            updates.append(step)
        return updates, AdamState(t, tuple(mus), tuple(nus))

    return GradientTransformation(init, update)


def adam(alpha: Any = 0.001, *, beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8
         ) -> GradientTransformation:
    """Adam (Kingma & Ba, 2015): W <- W - alpha * m_hat / (sqrt(v_hat) + eps).

    See `scale_by_adam` for the moments; the defaults are the paper's (and
    torch.optim.Adam's). alpha: a float > 0, one value per model, or a schedule.
    For Adam with an L2 penalty (torch's ``Adam(weight_decay=...)``) chain
    `l2_penalty` in front; for decoupled weight decay use `adamw`.
    """
    return chain(scale_by_adam(beta1, beta2, eps, owner="adam"),
                 scale_by_learning_rate(alpha, owner="adam"))


def adamw(alpha: Any = 0.001, *, beta1: Any = 0.9, beta2: Any = 0.999, eps: Any = 1e-8,
          weight_decay: Any = 0.01) -> GradientTransformation:
    """AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

        W <- W - alpha * (m_hat / (sqrt(v_hat) + eps) + weight_decay * W)

    Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019,
    Algorithm 2 with the schedule multiplier eta_t = alpha, as in
    torch.optim.AdamW (whose defaults these are). Every hyperparameter may be
    one value per model; alpha may be a schedule, which then scales the decay too.
    """
    return chain(scale_by_adam(beta1, beta2, eps, owner="adamw"),
                 add_decayed_weights(weight_decay, owner="adamw"),
                 scale_by_learning_rate(alpha, owner="adamw"))
