"""Regularization as chain links: L1 and L2 penalties, and decoupled weight decay.

Where a link goes in the chain decides what it means. A penalty goes first,
so the optimizer sees the gradient of ``loss + penalty`` and rescales it like
any gradient (``chain(l2_penalty(1e-4), adam(1e-3))`` is torch's Adam with
``weight_decay=1e-4``; with ``maximize=True`` write ``adam(1e-3, weight_decay=1e-4,
maximize=True)``, which negates the gradient before adding the penalty, as torch does,
where the chain would negate the penalty too). Decoupled weight decay goes after the
adaptive scaling and before the learning rate, so every weight shrinks by ``alpha * rate * W``
whatever the gradient's history (AdamW). Both apply to every parameter,
biases included, as PyTorch's ``weight_decay`` does.
"""

from __future__ import annotations

from typing import Any

from mlplab.optim._hyperparameters import check_nonnegative
from mlplab.optim._lift import per_array
from mlplab.optim.base import EmptyState, GradientTransformation
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS


def add_weights(xp: Any, g: Any, p: Any, strength: Any) -> Any:
    """u = g + strength * W: the gradient of strength / 2 * ||W||^2 added."""
    return g + strength * p


def add_signs(xp: Any, g: Any, p: Any, strength: Any) -> Any:
    """u = g + strength * sign(W): the subgradient of strength * ||W||_1 added."""
    return g + strength * xp.sign(p)


def _penalty(rule: Any, factory: str, name: str, strength: Any, *, owner: str
             ) -> GradientTransformation:
    """The link `factory` adds ``rule(W)`` scaled by the hyperparameter `name` >= 0."""
    strength = check_nonnegative(name, owner, strength)
    return per_array(rule, EmptyState, owner=owner, hyperparameters={name: strength},
                     uses_params=True, config=config_of(factory, **{name: strength}))


def l2_penalty(strength: Any) -> GradientTransformation:
    """Add the gradient of ``strength / 2 * sum(W**2)``: g <- g + strength * W.

    Tikhonov regularization ("weight decay" when followed by plain SGD:
    W <- (1 - alpha * strength) W - alpha g; Hanson & Pratt, 1989; Krogh &
    Hertz, 1992). strength: a float >= 0 or one per model; PyTorch's
    ``weight_decay`` option of SGD, Adam, Adagrad and RMSprop.
    """
    return _penalty(add_weights, "l2_penalty", "strength", strength, owner="l2_penalty")


def l1_penalty(strength: Any) -> GradientTransformation:
    """Add the (sub)gradient of ``strength * sum(|W|)``: g <- g + strength * sign(W).

    sign(0) = 0, so a weight at exactly zero feels no pull. The lasso penalty
    (Tibshirani, 1996), which drives weights to zero rather than shrinking them
    in proportion. strength: a float >= 0 or one per model.
    """
    return _penalty(add_signs, "l1_penalty", "strength", strength, owner="l1_penalty")


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
    return _penalty(add_weights, "add_decayed_weights", "weight_decay", weight_decay,
                    owner=owner)


for _factory in (l1_penalty, l2_penalty, add_decayed_weights):
    LINKS.add(_factory.__name__, _factory)
