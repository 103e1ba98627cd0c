"""Gradient ascent for any step optimizer: torch's ``maximize=True``, the gradient negated first."""

from __future__ import annotations

from mlplab.optim._hyperparameters import check_bool
from mlplab.optim.base import GradientTransformation, chain, scale


def maximizing(optimizer: GradientTransformation, maximize: bool, owner: str
               ) -> GradientTransformation:
    """`optimizer` climbing the objective when `maximize`: chain(scale(-1), optimizer).

    As torch.optim's ``maximize=True``: g <- -g before anything else (weight
    decay included), so the optimizer ascends. -1 * g is exact, so a
    maximizing run is its minimizing twin on the negated objective bit for bit.
    The config gains ``maximize: True`` only when set, so the configs (and the
    checkpoints) of minimizing runs stay as they were.
    """
    if not check_bool("maximize", owner, maximize):
        return optimizer
    config = {**optimizer.config, "maximize": True}
    return chain(scale(-1.0), optimizer)._replace(config=config)
