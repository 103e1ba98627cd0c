"""AdaDelta: step sizes from running averages of squared gradients and steps (Zeiler, 2012)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import (
    check_fraction,
    check_population,
    check_positive,
    hyperparameter,
)
from mlplab.optim.base import GradientTransformation, Params, chain
from mlplab.optim.schedules import scale_by_learning_rate


class AdadeltaState(NamedTuple):
    """Running averages of squared gradients E[g^2] and of squared steps E[dx^2]."""

    mean_square_grad: tuple[np.ndarray, ...]
    mean_square_step: tuple[np.ndarray, ...]


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
    rho_like, keep_like = hyperparameter(rho), hyperparameter(1 - rho)
    eps_like = hyperparameter(eps)

    def init(params: Params) -> AdadeltaState:
        check_population(owner, params, rho=rho, eps=eps)
        zeros = tuple(np.zeros_like(p) for p in params)
        return AdadeltaState(zeros, zeros)

    def running_mean_square(average: np.ndarray, x: np.ndarray) -> np.ndarray:
        new = x * x
        new *= keep_like(x)
        new += rho_like(x) * average
        return new

    def update(grads: Params, state: AdadeltaState, params: Params | None = None
               ) -> tuple[Params, AdadeltaState]:
        square_grads, square_steps, updates = [], [], []
        for g, Eg, Edx in zip(grads, state.mean_square_grad, state.mean_square_step,
                              strict=True):
            Eg = running_mean_square(Eg, g)
            step = np.sqrt(Edx + eps_like(g))
            step /= np.sqrt(Eg + eps_like(g))
            step *= g
            square_grads.append(Eg)
            square_steps.append(running_mean_square(Edx, step))
            updates.append(step)
        return updates, AdadeltaState(tuple(square_grads), tuple(square_steps))

    return GradientTransformation(init, update)


def adadelta(alpha: Any = 1.0, *, rho: Any = 0.9, eps: Any = 1e-6) -> GradientTransformation:
    """AdaDelta (Zeiler, 2012): W <- W - alpha * dx, dx from `scale_by_adadelta`.

    Zeiler's method has no learning rate (alpha = 1, the default); alpha is
    PyTorch's extra factor, applied after dx enters E[dx^2] as in
    torch.optim.Adadelta. alpha: a float > 0, one value per model, or a schedule.
    """
    return chain(scale_by_adadelta(rho, eps, owner="adadelta"),
                 scale_by_learning_rate(alpha, owner="adadelta"))
