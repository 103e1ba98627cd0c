"""Gradient clipping, the tutorials' "delta trimming": by value and by global norm.

Clipping goes first in a chain, so the optimizer sees trimmed gradients:
``chain(clip_by_global_norm(1.0), adam(1e-3))``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlplab.optim._hyperparameters import check_population, check_positive, hyperparameter
from mlplab.optim.base import (
    EmptyState,
    GradientTransformation,
    Params,
    per_model_sum,
    population_ndim,
)


def clip_by_value(max_delta: Any) -> GradientTransformation:
    """Clip every entry of every gradient to [-max_delta, max_delta].

    g <- min(max(g, -max_delta), max_delta), entry by entry; as
    torch.nn.utils.clip_grad_value_. max_delta: a float > 0 or one per model.
    """
    max_delta = check_positive("max_delta", "clip_by_value", max_delta)
    high_like, low_like = hyperparameter(max_delta), hyperparameter(-max_delta)

    def init(params: Params) -> EmptyState:
        check_population("clip_by_value", params, max_delta=max_delta)
        return EmptyState()

    def update(grads: Params, state: EmptyState, params: Params | None = None
               ) -> tuple[Params, EmptyState]:
        return [np.clip(g, low_like(g), high_like(g)) for g in grads], state

    return GradientTransformation(init, update)


class ClipByGlobalNormState(NamedTuple):
    """How many leading axes of every parameter are population axes (fixed at init)."""

    population_ndim: int


def clip_by_global_norm(max_norm: Any) -> GradientTransformation:
    """Rescale a model's whole gradient so its norm is at most `max_norm`.

        ||g|| = sqrt(sum over all parameters and entries of g**2)
        g <- g * max_norm / max(||g||, max_norm)

    The norm is taken per model of a population, over all of that model's
    parameters, so each member is clipped as it would be alone (Pascanu,
    Mikolov & Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013). torch.nn.utils.clip_grad_norm_ divides by
    ``||g|| + 1e-6`` instead; here a gradient exactly at the threshold is
    left alone and one above it ends exactly at norm max_norm.
    max_norm: a float > 0 or one per model.
    """
    max_norm = check_positive("max_norm", "clip_by_global_norm", max_norm)

    def init(params: Params) -> ClipByGlobalNormState:
        check_population("clip_by_global_norm", params, max_norm=max_norm)
        return ClipByGlobalNormState(population_ndim(params))

    def update(grads: Params, state: ClipByGlobalNormState, params: Params | None = None
               ) -> tuple[Params, ClipByGlobalNormState]:
        if state.population_ndim == 0:  # one model: plain numbers
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if norm <= max_norm:
                return list(grads), state
            return [(max_norm / norm) * g for g in grads], state
        norm = np.sqrt(sum(per_model_sum(g * g, state.population_ndim) for g in grads))
        if np.all(norm <= max_norm):  # nothing to trim: skip the copies
            return list(grads), state
        factor = max_norm / np.maximum(norm, max_norm)
        return [_per_model_factor(factor, g) * g for g in grads], state

    return GradientTransformation(init, update)


def _per_model_factor(factor: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Per-model factors (shape ``population``) in like's dtype, broadcast over its axes."""
    factor = np.asarray(factor, dtype=like.dtype)
    return factor.reshape(factor.shape + (1,) * (like.ndim - factor.ndim))
