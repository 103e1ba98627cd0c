"""Gradient clipping, the tutorials' "delta trimming": by value and by global norm.

Clipping goes first in a chain, so the optimizer sees trimmed gradients:
``chain(clip_by_global_norm(1.0), adam(1e-3))``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.backend import Backend
from mlplab.optim._hyperparameters import check_population, check_positive
from mlplab.optim._lift import members, per_array, shape_for, sum_of_squares
from mlplab.optim.base import EmptyState, GradientTransformation, Params, population_ndim
from mlplab.optim.config import config_of
from mlplab.optim.registry import LINKS
from mlplab.params import backend_of_params


def clip_rule(xp: Any, g: Any, max_delta: Any) -> Any:
    """u = min(max(g, -max_delta), max_delta), entry by entry."""
    return xp.clip(g, -max_delta, max_delta)


def clip_by_value(max_delta: Any) -> GradientTransformation:
    """Clip every entry of every gradient to [-max_delta, max_delta].

    g <- min(max(g, -max_delta), max_delta), entry by entry; as
    torch.nn.utils.clip_grad_value_. max_delta: a float > 0 or one per model.
    """
    max_delta = check_positive("max_delta", "clip_by_value", max_delta)
    return per_array(clip_rule, EmptyState, owner="clip_by_value",
                     hyperparameters={"max_delta": max_delta},
                     config=config_of("clip_by_value", max_delta=max_delta))


class ClipByGlobalNormState(NamedTuple):
    """How many leading axes of every parameter are population axes (fixed at init)."""

    population_ndim: int


def global_norm(backend: Backend, grads: Params, norm_type: float | str = 2) -> float:
    """||g|| over all arrays and entries, for one model: the 1-, 2- or max-norm.

    norm_type 2: sqrt(sum g**2); 1: sum |g|; "inf": max |g| (a Python float each).
    """
    if norm_type == 2:
        return math.sqrt(sum(sum_of_squares(backend, g) for g in grads))
    xp = backend.xp
    if norm_type == 1:
        return sum(float(xp.sum(xp.abs(g))) for g in grads)
    return max((float(xp.max(xp.abs(g))) for g in grads if g.size), default=0.0)


def check_norm_type(norm_type: Any, owner: str) -> float | str:
    """1, 2 or "inf" (float("inf") becomes "inf", which JSON can hold)."""
    if isinstance(norm_type, str) and norm_type == "inf":
        return "inf"
    if isinstance(norm_type, int | float) and not isinstance(norm_type, bool):
        if norm_type in (1, 2):
            return int(norm_type)
        if norm_type == math.inf:
            return "inf"
    raise invalid("norm_type", owner, "1, 2 or inf (float('inf') or \"inf\")", norm_type)


def clip_by_global_norm(max_norm: Any, norm_type: Any = 2) -> GradientTransformation:
    """Rescale a model's whole gradient so its norm is at most `max_norm`.

        ||g|| = sqrt(sum over all parameters and entries of g**2)   (norm_type 2)
                sum of |g| (norm_type 1), max of |g| (norm_type inf)
        g <- g * max_norm / max(||g||, max_norm)

    The norm is taken per model of a population, over all of that model's
    parameters, so each member is clipped as it would be alone (Pascanu,
    Mikolov & Bengio, "On the difficulty of training recurrent neural
    networks", ICML 2013). torch.nn.utils.clip_grad_norm_ divides by
    ``||g|| + 1e-6`` instead; here a gradient exactly at the threshold is
    left alone and one above it ends exactly at norm max_norm.
    norm_type: 1, 2 or inf (float("inf") or "inf"), as torch's.
    max_norm: a float > 0 or one per model. A member of a population reduces
    its own slices exactly as a single model does (`global_norm`), so the
    two agree bit for bit.
    """
    max_norm = check_positive("max_norm", "clip_by_global_norm", max_norm)
    norm_type = check_norm_type(norm_type, "clip_by_global_norm")

    def init(params: Params) -> ClipByGlobalNormState:
        check_population("clip_by_global_norm", params, max_norm=max_norm)
        return ClipByGlobalNormState(population_ndim(params))

    def update(grads: Params, state: ClipByGlobalNormState, params: Params | None = None
               ) -> tuple[Params, ClipByGlobalNormState]:
        backend = backend_of_params(grads if params is None else params)
        population = tuple(grads[0].shape[:state.population_ndim]) if grads else ()
        if not population:  # one model: plain numbers
            norm = global_norm(backend, grads, norm_type)
            if norm <= max_norm:
                return list(grads), state
            return [(max_norm / norm) * g for g in grads], state
        limits = np.broadcast_to(max_norm, population)
        factors = np.ones(population)
        for k in members(population):
            norm = global_norm(backend, [g[(*k, ...)] for g in grads], norm_type)
            if norm > limits[k]:
                factors[k] = limits[k] / norm
        if np.all(factors == 1.0):  # nothing to trim: skip the copies
            return list(grads), state
        return [shape_for(factors, g, backend) * g for g in grads], state

    # the config names norm_type only when it is not 2, so older configs stay as they were
    extra = {} if norm_type == 2 else {"norm_type": norm_type}
    return GradientTransformation(init, update, config_of("clip_by_global_norm",
                                                          max_norm=max_norm, **extra))


LINKS.add("clip_by_value", clip_by_value)
LINKS.add("clip_by_global_norm", clip_by_global_norm)
