"""The one loop every optimizer shares: an update rule for one array, lifted to all of them.

An optimizer's update rule is written for ONE parameter array, in its paper's
equations, as a plain function of that array's gradient, its own state and
the hyperparameters:

    rule(xp, g, *state, *hyperparameters) -> u              (no state)
    rule(xp, g, *state, *hyperparameters) -> (u, *state)    (with state)
    rule(xp, g, p, *state, *hyperparameters) -> ...         (uses_params=True)

xp is the parameters' array namespace (the Python array API standard), g the
gradient, p the parameter, state that array's running averages (None for a
field the optimizer's options switch off). `per_array` lifts the rule to a
GradientTransformation: it loops over the parameters, keeps each state field
as a tuple in the optimizer's NamedTuple (a first field ``count`` counts the
updates), and hands the rule its hyperparameters ready to meet that array:

- a float stays one number; one value per model of a population (an array
  of shape ``population``) is reshaped to ``population + (1,) * k`` so it
  broadcasts over the array's own axes, in the array's dtype, on its device
  (made once per backend, dtype and ndim, not every step);
- values that change every step (a bias correction, a schedule's rate) come
  from ``per_step(count)``, worked out per model in Python floats with
  `per_member`, so a member of a population computes exactly the numbers of
  its separate run (NumPy's vectorized ``beta ** t`` can differ in the last
  bit from Python's).

NumPy's fast path lives here and only here, behind ``backend.is_numpy``:
floats become 0-d arrays of the array's dtype, made once and kept, because
NumPy converts a Python float afresh on every operation and that costs more
than the product itself on a tutorial-sized network. Other backends get
Python floats, which the array API standard combines with an array without
changing its dtype (never a NumPy scalar: array-api-strict and CuPy refuse
those). Either way float32 stays float32.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from mlplab.backend import Backend, backend_of
from mlplab.optim._hyperparameters import check_population, require_params
from mlplab.params import backend_of_params

Params = list[Any]
Rule = Callable[..., Any]


def per_member(fn: Callable[..., float], *values: Any) -> Any:
    """``fn`` of each model's values, in Python floats: a float, or an array of shape population.

    values: floats, or arrays of one value per model (broadcast together).
    ``per_member(lambda b: 1 - b ** t, beta)`` gives every member of a
    population exactly the number a single model with its beta computes.
    """
    if all(isinstance(v, float | int) for v in values):  # the common case, checked cheaply
        return fn(*(float(v) for v in values))
    if all(np.ndim(v) == 0 for v in values):
        return fn(*(float(v) for v in values))
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    columns = [np.broadcast_to(np.asarray(v, dtype=np.float64), shape).ravel().tolist()
               for v in values]
    return np.array([fn(*member) for member in zip(*columns, strict=True)]).reshape(shape)


def members(population: tuple[int, ...]) -> Iterable[tuple[int, ...]]:
    """The index of every model of a population, in order (``()`` alone for one model)."""
    return itertools.product(*(range(n) for n in population))


def sum_of_squares(backend: Backend, g: Any) -> float:
    """sum(g**2) over every entry of one array, as a Python float.

    NumPy's `vdot` is the fast path (one BLAS call, no reshape); elsewhere the
    standard's `vecdot` of the flattened array. A population member and a
    single model reduce the same way, so their norms agree bit for bit.
    """
    if backend.is_numpy:
        return float(np.vdot(g, g))
    flat = backend.xp.reshape(g, (-1,))
    return float(backend.xp.vecdot(flat, flat))


def shape_for(value: Any, like: Any, backend: Backend) -> Any:
    """A hyperparameter ready to meet the array `like`: a number, or reshaped per model.

    value: a float, or an array of shape ``population`` (the leading axes of `like`).
    NumPy gets 0-d arrays of like's dtype (see the module docstring), others floats.
    """
    if np.ndim(value) == 0:
        return np.asarray(value, dtype=like.dtype) if backend.is_numpy else float(value)
    value = np.asarray(value, dtype=np.float64)
    value = value.reshape(value.shape + (1,) * (like.ndim - value.ndim))
    return backend.asarray(value, dtype=like.dtype)


class _Shaped:
    """Hyperparameters shaped for each (backend, dtype, ndim) they meet, made once each."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        self.values = values
        self.scalar = all(np.ndim(v) == 0 for v in values)  # then the dtype alone decides
        self.numpy: dict[Any, tuple[Any, ...]] = {}
        self.others: dict[Any, dict[Any, tuple[Any, ...]]] = {}

    def cache(self, backend: Backend) -> dict[Any, tuple[Any, ...]]:
        """The shapes made so far for this backend (NumPy's own dict is the fast path)."""
        if backend.is_numpy:
            return self.numpy
        return self.others.setdefault((backend.name, str(backend.device)), {})

    def make(self, cache: dict[Any, tuple[Any, ...]], g: Any, backend: Backend) -> tuple:
        """The values shaped for the array g, kept in `cache`."""
        key = g.dtype if self.scalar else (g.dtype, g.ndim)
        shaped = cache[key] = tuple(shape_for(v, g, backend) for v in self.values)
        return shaped


def _backend(params: Any, grads: Params) -> Backend:
    """The parameters' backend; the gradients' when an update is given no parameters."""
    return backend_of_params(params if params is not None else grads)


def scale_rule(xp: Any, g: Any, factor: Any) -> Any:
    """u = factor * g: the rule of every scaling link (a learning rate, `scale`).

    `per_array` knows this rule by name and multiplies in place of calling it, on
    the hot path of plain gradient descent.
    """
    return factor * g


def _no_state(xp: Any, p: Any, *hyperparameters: Any) -> tuple[()]:
    return ()


def per_array(rule: Rule, state_type: type[NamedTuple], *, owner: str,
              hyperparameters: dict[str, Any] | None = None,
              init: Rule | None = None, per_step: Callable[[int], tuple] | None = None,
              uses_params: bool = False, check: dict[str, Any] | None = None,
              config: dict[str, Any] | None = None) -> Any:
    """A GradientTransformation that applies `rule` to every parameter array.

    state_type: the optimizer's state NamedTuple; a first field ``count`` is
    the number of updates made, the others hold one entry per parameter.
    hyperparameters: name -> float or one value per model, passed to `rule`
    (and `init`) in this order after the state. init: ``init(xp, p,
    *hyperparameters) -> state`` of one array (None for a field that is off;
    default: zeros for every field). per_step: ``count -> values``, passed
    after the hyperparameters; count is the number of updates made so far (0
    at the first). uses_params: the rule takes the parameter p after g.
    check: more values (name -> value) that must have one entry per model.
    config: the optimizer's config (see `mlplab.optim.config`).
    """
    from mlplab.optim.base import GradientTransformation

    hyperparameters = dict(hyperparameters or {})
    static = _Shaped(tuple(hyperparameters.values()))
    counted = state_type._fields[:1] == ("count",)
    n_fields = len(state_type._fields) - counted
    make_state = init or (_zeros(n_fields) if n_fields else _no_state)
    numpy_cache, scalar, make = static.numpy, static.scalar, static.make
    scaling = rule is scale_rule and scalar

    def initialize(params: Params) -> Any:
        check_population(owner, params, **hyperparameters, **(check or {}))
        backend = _backend(params, params)
        cache = static.cache(backend)
        states = [make_state(backend.xp, p, *_get(static, cache, p, backend)) for p in params]
        fields = _columns(states, n_fields)
        return state_type(0, *fields) if counted else state_type(*fields)

    def update_stateless(grads: Params, state: Any, params: Params | None = None
                         ) -> tuple[Params, Any]:
        """The hot path (sgd's): no state, fixed hyperparameters, one cache look-up per array."""
        try:
            backend = params.backend
        except AttributeError:  # a plain list of arrays, or no params
            backend = backend_of(*grads)
        cache = numpy_cache if backend.is_numpy else static.cache(backend)
        xp = backend.xp
        if scaling:  # plain gradient descent: one product per array, no call
            return [(cache.get(g.dtype) or make(cache, g, backend))[0] * g for g in grads], state
        if scalar:
            return [rule(xp, g, *(cache.get(g.dtype) or make(cache, g, backend)))
                    for g in grads], state
        return [rule(xp, g, *(cache.get((g.dtype, g.ndim)) or make(cache, g, backend)))
                for g in grads], state

    def update(grads: Params, state: Any, params: Params | None = None) -> tuple[Params, Any]:
        backend = _backend(params, grads)
        xp, cache = backend.xp, static.cache(backend)
        count = state[0] if counted else 0
        step_values = tuple(per_step(count)) if per_step is not None else ()
        # Numbers of this step alone (a bias correction, a schedule's rate) go in as Python
        # floats on every backend: shaping them per array would cost more than they save.
        if all(isinstance(v, float | int) for v in step_values):
            step_values, step = tuple(float(v) for v in step_values), None  # no NumPy scalars
        else:
            step = _Shaped(step_values)
        step_cache: dict[Any, tuple[Any, ...]] = {}
        lead = [require_params(params, owner)] if uses_params else []
        columns = [f if f else itertools.repeat(None) for f in state[counted:]]
        results = []
        for row in zip(grads, *lead, *columns):  # noqa: B905 (a switched-off field repeats None)
            values = _get(static, cache, row[0], backend)
            values += step_values if step is None else _get(step, step_cache, row[0], backend)
            results.append(rule(xp, *row, *values))
        if not n_fields:
            return results, (state_type(count + 1) if counted else state)
        updates, *fields = _columns(results, n_fields + 1)
        new_state = state_type(count + 1, *fields) if counted else state_type(*fields)
        return list(updates), new_state

    simple = per_step is None and not n_fields and not uses_params and not counted
    return GradientTransformation(initialize, update_stateless if simple else update, config)


def _get(shaped: _Shaped, cache: dict[Any, tuple], g: Any, backend: Backend) -> tuple:
    """The shaped values for the array g, from the cache or made now."""
    found = cache.get(g.dtype if shaped.scalar else (g.dtype, g.ndim))
    return found if found is not None else shaped.make(cache, g, backend)


def _zeros(n_fields: int) -> Rule:
    def zeros(xp: Any, p: Any, *hyperparameters: Any) -> tuple[Any, ...]:
        return tuple(xp.zeros_like(p) for _ in range(n_fields))
    return zeros


def _columns(rows: list[tuple[Any, ...]], n: int) -> list[tuple[Any, ...]]:
    """Per-array tuples turned into per-field tuples; a switched-off field (None) is ()."""
    if not rows:
        return [()] * n
    return [() if c[0] is None else c for c in zip(*rows, strict=True)]
