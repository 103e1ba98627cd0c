"""The gradient-transformation protocol, after optax.

An optimizer is a pair of pure functions:

    init(params) -> state
    update(grads, state, params) -> (updates, state)

`params`, `grads` and `updates` are lists of arrays in the model's `params`
order; training adds the updates to the parameters (`apply_updates`). State is
a NamedTuple you can print. `chain(a, b, ...)` feeds a's output into b, so an
optimizer is a short pipeline: ``sgd(alpha)`` is ``scale(-alpha)``.

Hyperparameters may be one value per model of a population: an array of shape
``population`` is broadcast over each parameter's own trailing axes (see
`per_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

# Re-exported for `mlplab.optim` users; their home is mlplab.params.
from mlplab.params import ParamList as ParamList
from mlplab.params import population_ndim as population_ndim

Params = list[np.ndarray]
State = Any


def per_model_sum(a: np.ndarray, pop_ndim: int) -> np.ndarray:
    """Sum over every axis but the leading `pop_ndim` population axes."""
    return a.sum(axis=tuple(range(pop_ndim, a.ndim))) if a.ndim > pop_ndim else a


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state``, ``update(grads, state, params)``."""

    init: Callable[[Params], State]
    update: Callable[[Params, State, Params | None], tuple[Params, State]]


class EmptyState(NamedTuple):
    """State of a transformation that keeps none."""


def per_model(value: Any, like: np.ndarray) -> Any:
    """Broadcast a per-model hyperparameter over one parameter array.

    value: a scalar, or an array of shape ``population`` (leading axes of `like`).
    Returns a scalar unchanged, or the array reshaped to ``population + (1,) * k``.
    """
    if np.ndim(value) == 0:
        return value
    value = np.asarray(value, dtype=like.dtype)
    return value.reshape(value.shape + (1,) * (like.ndim - value.ndim))


def constant_like(value: float) -> Callable[[np.ndarray], Any]:
    """`value` as a 0-d array of a given array's dtype, made once per dtype.

    Multiplying by a cached 0-d array skips NumPy's conversion of a Python
    number on every call (which costs more than the product itself for small
    networks) and keeps float32 updates float32.
    """
    cache: dict[np.dtype, np.ndarray] = {}

    def like(array: np.ndarray) -> Any:
        constant = cache.get(array.dtype)
        if constant is None:
            constant = cache[array.dtype] = np.asarray(value, dtype=array.dtype)
        return constant

    return like


def scale(factor: Any) -> GradientTransformation:
    """Multiply every update by `factor` (a scalar or one value per model)."""
    factor_like = constant_like(factor) if np.ndim(factor) == 0 else None

    def init(params: Params) -> EmptyState:
        return EmptyState()

    def update_scalar(grads: Params, state: EmptyState, params: Params | None = None
                      ) -> tuple[Params, EmptyState]:
        return [factor_like(g) * g for g in grads], state

    def update_per_model(grads: Params, state: EmptyState, params: Params | None = None
                         ) -> tuple[Params, EmptyState]:
        return [per_model(factor, g) * g for g in grads], state

    return GradientTransformation(init, update_scalar if np.ndim(factor) == 0
                                  else update_per_model)


class ChainState(NamedTuple):
    """The states of a chain's links, in order."""

    states: tuple[Any, ...]


def chain(*transforms: GradientTransformation) -> GradientTransformation:
    """Apply `transforms` one after the other; each sees the previous one's updates."""

    def init(params: Params) -> ChainState:
        return ChainState(tuple(t.init(params) for t in transforms))

    def update(grads: Params, state: ChainState, params: Params | None = None
               ) -> tuple[Params, ChainState]:
        new_states = []
        for transform, link_state in zip(transforms, state.states, strict=True):
            grads, link_state = transform.update(grads, link_state, params)
            new_states.append(link_state)
        return grads, ChainState(tuple(new_states))

    return GradientTransformation(init, update)


def apply_updates(params: Params, updates: Params) -> None:
    """Add each update to its parameter in place: ``p += u``."""
    for p, u in zip(params, updates, strict=True):
        p += u
