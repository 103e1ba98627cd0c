"""One optimizer per model of a population: ConvNet.js's side-by-side trainer comparison.

A population normally shares one optimizer whose hyperparameters may differ
per model (``sgd(np.array([0.1, 1.0]))``). `by_member` goes further: model k
of a population of K is updated by ``optimizers[k]``, any gradient
transformation at all (sgd for one, adam for another). Each member's
optimizer sees that member's own slice of the parameters and gradients, as
it would in a separate run, so member k computes exactly the numbers of a
single model trained with ``optimizers[k]`` on the same batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from mlplab._checks import invalid
from mlplab.optim.base import GradientTransformation
from mlplab.params import ParamList, backend_of_params

Params = list[Any]


class ByMemberState(NamedTuple):
    """The state of each member's optimizer, in population order."""

    states: tuple[Any, ...]


def _member(arrays: Params, k: int, backend: Any) -> ParamList:
    """Model k's arrays (views of the population's), as a single model's parameters."""
    return ParamList([a[k] for a in arrays], (), backend)


def by_member(members: Sequence[GradientTransformation]) -> GradientTransformation:
    """Update model k of a population of K with ``members[k]``: u[k] = members[k](g[k]).

    members: K gradient transformations (names are resolved by the caller,
    e.g. with `get_optimizer`); the population must have one leading axis of
    length K. The updates are the members' updates stacked along that axis.
    """
    members = list(members)
    if not members or not all(isinstance(m, GradientTransformation) for m in members):
        raise invalid("members", "by_member", "a non-empty list of gradient transformations "
                      "(solvers such as lbfgs cannot share a population's steps)", members)

    def init(params: Params) -> ByMemberState:
        population = tuple(getattr(params, "population", ()))
        if population != (len(members),):
            raise invalid("params", "by_member", f"the parameters of a population of "
                          f"{len(members)} models (one per optimizer)",
                          f"population {population}", raw=True)
        backend = backend_of_params(params)
        return ByMemberState(tuple(m.init(_member(params, k, backend))
                                   for k, m in enumerate(members)))

    def update(grads: Params, state: ByMemberState, params: Params | None = None
               ) -> tuple[Params, ByMemberState]:
        backend = backend_of_params(params if params is not None else grads)
        per_member, states = [], []
        for k, (member, member_state) in enumerate(zip(members, state.states, strict=True)):
            member_params = None if params is None else _member(params, k, backend)
            updates, member_state = member.update(_member(grads, k, backend), member_state,
                                                  member_params)
            per_member.append(updates)
            states.append(member_state)
        stacked = [backend.xp.stack(list(column)) for column in zip(*per_member, strict=True)]
        return stacked, ByMemberState(tuple(states))

    # No config: a config rebuilds a transformation for any parameters, and this one exists
    # only for a population of exactly K (so it is no chain link that configs could name).
    return GradientTransformation(init, update, None)
