"""Averaged SGD (Polyak & Juditsky, 1992): SGD with a decaying step and the mean of its iterates."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import check_nonnegative, check_positive
from mlplab.optim._lift import per_array, per_member
from mlplab.optim.base import GradientTransformation, chain
from mlplab.optim.config import config_of
from mlplab.optim.maximize import maximizing
from mlplab.optim.penalties import l2_penalty
from mlplab.optim.registry import register_optimizer


class AsgdState(NamedTuple):
    """Step count t and the averaged iterate ax of every parameter (the weights to report)."""

    count: int
    ax: tuple[Any, ...]


def asgd_rule(xp: Any, g: Any, p: Any, ax: Any, lambd: Any, eta: Any, mu: Any
              ) -> tuple[Any, Any]:
    """One array's step: u = -lambd * eta * W - eta * g, then ax <- ax + mu * (W_new - ax)."""
    u = -(lambd * eta) * p - eta * g
    new = p + u
    if isinstance(mu, float):
        ax = new if mu == 1 else ax + (new - ax) * mu
    else:  # one mu per model: the members still averaging (mu < 1) mix, the others copy
        ax = xp.where(mu == 1, new, ax + (new - ax) * mu)
    return u, ax


def step_values(alpha: float, lambd: float, power: float, t0: float, t: int
                ) -> tuple[float, float]:
    """torch.optim.ASGD's step and averaging weight after t steps, in its arithmetic.

    eta = alpha / (1 + lambd * alpha * t)**power, mu = 1 / max(1, t - t0).
    """
    return alpha / ((1 + lambd * alpha * float(t)) ** power), 1 / max(1, float(t) - t0)


def asgd(alpha: Any = 0.01, *, lambd: Any = 1e-4, alpha_power: Any = 0.75, t0: Any = 1e6,
         weight_decay: Any = 0.0, maximize: bool = False) -> GradientTransformation:
    """Averaged SGD: SGD whose step decays, and the average ax of its iterates.

        eta_t = alpha / (1 + lambd * alpha * (t - 1))**alpha_power
        W_t = W_{t-1} - eta_t * (lambd * W_{t-1} + g_t)
        mu_t = 1 / max(1, t - 1 - t0);  ax_t = ax_{t-1} + mu_t * (W_t - ax_{t-1})

    Polyak & Juditsky, "Acceleration of stochastic approximation by
    averaging", SIAM J. Control Optim. 1992, with the step and averaging
    schedules of torch.optim.ASGD (whose defaults these are): until step t0
    the average is the current iterate, after it the mean of the iterates
    since t0. The training runs on W; the average ax is in the state
    (``state.states[-1].ax`` when chained, else ``state.ax``), the weights to
    evaluate with. g includes weight_decay * W (torch's order). alpha > 0,
    lambd >= 0, alpha_power >= 0, t0 >= 0, weight_decay >= 0: floats or one per model.
    maximize: ascend instead (see `maximizing`).
    """
    alpha = check_positive("alpha", "asgd", alpha)
    lambd = check_nonnegative("lambd", "asgd", lambd)
    alpha_power = check_nonnegative("alpha_power", "asgd", alpha_power)
    t0 = check_nonnegative("t0", "asgd", t0)
    weight_decay = check_nonnegative("weight_decay", "asgd", weight_decay)

    def per_step(count: int) -> tuple[Any, Any]:
        eta = per_member(lambda a, lam, pw, t: step_values(a, lam, pw, t, count)[0],
                         alpha, lambd, alpha_power, t0)
        mu = per_member(lambda a, lam, pw, t: step_values(a, lam, pw, t, count)[1],
                        alpha, lambd, alpha_power, t0)
        return eta, mu

    averaging = per_array(asgd_rule, AsgdState, owner="asgd", uses_params=True,
                          hyperparameters={"lambd": lambd}, per_step=per_step,
                          check={"alpha": alpha, "alpha_power": alpha_power, "t0": t0})
    links = [l2_penalty(weight_decay)] if np.any(np.asarray(weight_decay) != 0) else []
    optimizer = chain(*links, averaging) if links else averaging
    config = config_of("asgd", alpha=alpha, lambd=lambd, alpha_power=alpha_power, t0=t0,
                       weight_decay=weight_decay)
    return maximizing(optimizer._replace(config=config), maximize, "asgd")


register_optimizer("asgd", asgd)
