"""The gradient-transformation protocol, after optax.

An optimizer is a pair of pure functions:

    init(params) -> state
    update(grads, state, params) -> (updates, state)

`params`, `grads` and `updates` are lists of arrays in the model's `params`
order; training adds the updates to the parameters (`apply_updates`). State is
a NamedTuple you can print. `chain(a, b, ...)` feeds a's output into b, so an
optimizer is a short pipeline: ``sgd(alpha)`` is ``scale(-alpha)``. Each
transformation also carries its `config`, the data that rebuilds it (see
`mlplab.optim.config`).

Every update rule is written for one array and lifted to all of them by
`mlplab.optim._lift.per_array`, which also shapes the hyperparameters: a float,
or one value per model of a population (an array of shape ``population``,
broadcast over each parameter's own trailing axes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from mlplab.optim._lift import per_array, scale_rule
from mlplab.optim.config import checked_config, config_of

# Re-exported for `mlplab.optim` users; their home is mlplab.params.
from mlplab.params import ParamList as ParamList
from mlplab.params import population_ndim as population_ndim

Params = list[Any]
State = Any


class GradientTransformation(NamedTuple):
    """An optimizer: ``init(params) -> state``, ``update(grads, state, params)``, its config.

    config: the data that rebuilds it (``{"name": "adam", "alpha": 0.001, ...}``),
    filled by every factory of mlplab.optim; None for one built by hand.
    """

    init: Callable[[Params], State]
    update: Callable[[Params, State, Params | None], tuple[Params, State]]
    config: dict[str, Any] | None = None

    def get_config(self) -> dict[str, Any]:
        """The config as plain data; raises ValueError for what cannot be written down."""
        return checked_config(self.config)


class EmptyState(NamedTuple):
    """State of a transformation that keeps none."""


def scale(factor: Any) -> GradientTransformation:
    """Multiply every update by `factor` (a float or one value per model): u = factor * g."""
    return per_array(scale_rule, EmptyState, owner="scale",
                     hyperparameters={"factor": factor},
                     config=config_of("scale", factor=factor))


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

    links = [getattr(t, "config", None) for t in transforms]
    return GradientTransformation(init, update, {"name": "chain", "links": links})


def apply_updates(params: Params, updates: Params) -> None:
    """Add each update to its parameter in place: ``p += u``."""
    for p, u in zip(params, updates, strict=True):
        p += u
