"""AdaGrad: per-weight step sizes from the sum of past squared gradients (Duchi et al., 2011)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import (
    check_nonnegative,
    check_population,
    check_positive,
    hyperparameter,
)
from mlplab.optim.base import GradientTransformation, Params, chain
from mlplab.optim.schedules import scale_by_learning_rate


class AdagradState(NamedTuple):
    """The running sum G of squared gradients of every parameter."""

    sum_of_squares: tuple[np.ndarray, ...]


def scale_by_adagrad(eps: Any = 1e-10, initial_accumulator: Any = 0.0, *,
                     owner: str = "scale_by_adagrad") -> GradientTransformation:
    """Divide each gradient by the root of its running sum of squares.

        G_t = G_{t-1} + g_t**2            (G_0 = initial_accumulator)
        u_t = g_t / (sqrt(G_t) + eps)

    The diagonal AdaGrad of Duchi, Hazan & Singer, "Adaptive subgradient
    methods for online learning and stochastic optimization", JMLR 2011, whose
    ``delta I + diag(G)^(1/2)`` puts eps outside the root, as PyTorch does.
    The defaults (eps 1e-10, G_0 = 0) are torch.optim.Adagrad's.
    owner: the name that error messages give (the optimizer built on this).
    """
    eps = check_positive("eps", owner, eps)
    initial_accumulator = check_nonnegative("initial_accumulator", owner, initial_accumulator)
    eps_like = hyperparameter(eps)

    def init(params: Params) -> AdagradState:
        check_population(owner, params, eps=eps,
                         initial_accumulator=initial_accumulator)
        return AdagradState(tuple(np.zeros_like(p) + hyperparameter(initial_accumulator)(p)
                                  for p in params))

    def update(grads: Params, state: AdagradState, params: Params | None = None
               ) -> tuple[Params, AdagradState]:
        sums, updates = [], []
        for g, G in zip(grads, state.sum_of_squares, strict=True):
            G = g * g + G
            root = np.sqrt(G)
            root += eps_like(g)
            updates.append(np.divide(g, root, out=root))
            sums.append(G)
        return updates, AdagradState(tuple(sums))

    return GradientTransformation(init, update)


def adagrad(alpha: Any = 0.01, *, eps: Any = 1e-10, initial_accumulator: Any = 0.0
            ) -> GradientTransformation:
    """AdaGrad (Duchi et al., 2011): W <- W - alpha * g / (sqrt(G) + eps), G the sum of g**2.

    alpha: a float > 0, one value per model, or a schedule; see `scale_by_adagrad`.
    torch.optim.Adagrad's ``lr_decay`` is the schedule ``alpha / (1 + t * lr_decay)``.
    """
    return chain(scale_by_adagrad(eps, initial_accumulator, owner="adagrad"),
                 scale_by_learning_rate(alpha, owner="adagrad"))
