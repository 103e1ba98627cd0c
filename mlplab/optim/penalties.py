"""Regularization as chain links: L1 and L2 penalties, and decoupled weight decay.

Where a link goes in the chain decides what it means. A penalty goes first,
so the optimizer sees the gradient of ``loss + penalty`` and rescales it like
any gradient (``chain(l2_penalty(1e-4), adam(1e-3))`` is torch's Adam with
``weight_decay=1e-4``). Decoupled weight decay goes after the adaptive scaling
and before the learning rate, so every weight shrinks by ``alpha * rate * W``
whatever the gradient's history (AdamW). Both apply to every parameter,
biases included, as PyTorch's ``weight_decay`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.optim._hyperparameters import (
    check_nonnegative,
    check_population,
    hyperparameter,
    require_params,
)
from mlplab.optim.base import EmptyState, GradientTransformation, Params


def _add_scaled(strength: Any, term: Any, name: str, owner: str) -> GradientTransformation:
    """u <- u + strength * term(W), for every parameter W."""
    strength = check_nonnegative(name, owner, strength)
    strength_like = hyperparameter(strength)

    def init(params: Params) -> EmptyState:
        check_population(owner, params, **{name: strength})
        return EmptyState()

    def update(grads: Params, state: EmptyState, params: Params | None = None
               ) -> tuple[Params, EmptyState]:
        params = require_params(params, owner)
        return [g + strength_like(p) * term(p)
                for g, p in zip(grads, params, strict=True)], state

    return GradientTransformation(init, update)


def _identity(p: np.ndarray) -> np.ndarray:
    return p


def l2_penalty(strength: Any) -> GradientTransformation:
    """Add the gradient of ``strength / 2 * sum(W**2)``: g <- g + strength * W.

    Tikhonov regularization ("weight decay" when followed by plain SGD:
    W <- (1 - alpha * strength) W - alpha g; Hanson & Pratt, 1989; Krogh &
    Hertz, 1992). strength: a float >= 0 or one per model; PyTorch's
    ``weight_decay`` option of SGD, Adam, Adagrad and RMSprop.
    """
    return _add_scaled(strength, _identity, "strength", "l2_penalty")


def l1_penalty(strength: Any) -> GradientTransformation:
    """Add the (sub)gradient of ``strength * sum(|W|)``: g <- g + strength * sign(W).

    sign(0) = 0, so a weight at exactly zero feels no pull. The lasso penalty
    (Tibshirani, 1996), which drives weights to zero rather than shrinking them
    in proportion. strength: a float >= 0 or one per model.
    """
    return _add_scaled(strength, np.sign, "strength", "l1_penalty")


def add_decayed_weights(weight_decay: Any, *, owner: str = "add_decayed_weights"
                        ) -> GradientTransformation:
    """Decoupled weight decay: u <- u + weight_decay * W, placed before the learning rate.

    After ``scale_by_learning_rate(alpha)`` the step is
    W <- W - alpha * (u + weight_decay * W): Loshchilov & Hutter, "Decoupled
    weight decay regularization", ICLR 2019 (AdamW), with the schedule
    multiplier eta_t of the paper being alpha itself, as in torch.optim.AdamW.
    weight_decay: a float >= 0 or one per model.
    owner: the name that error messages give (the optimizer built on this).
    """
    return _add_scaled(weight_decay, _identity, "weight_decay", owner)
