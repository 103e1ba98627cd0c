"""Weight initializers: ``init(shape, rng) -> array`` with shape (n_in, n_out).

`tutorial` reproduces the tutorials' ``np.random.seed(1)`` code without
touching global state: a model seeded with s draws its layers, in order, from
one ``numpy.random.RandomState(s)`` as ``2 * random((n_in, n_out)) - 1``.
Every other initializer draws from a ``numpy.random.Generator``. `rng_for`
turns a seed into the generator an initializer expects.

Scales follow the usual definitions, with fan_in = n_in and fan_out = n_out:
Glorot/Xavier (Glorot & Bengio, 2010) var = 2 / (fan_in + fan_out);
He (He et al., 2015) var = 2 / fan_in; LeCun (LeCun et al., 1998) var = 1 / fan_in.
A uniform initializer draws from [-limit, limit) with limit = sqrt(3 var);
a normal one from N(0, var) (not truncated).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.registry import Registry

Rng = np.random.Generator | np.random.RandomState
Initializer = Callable[[tuple[int, int], Any], np.ndarray]


def tutorial(shape: tuple[int, int], rng: Rng) -> np.ndarray:
    """Uniform on [-1, 1) drawn as the tutorials do: 2 * random(shape) - 1."""
    if isinstance(rng, np.random.RandomState):
        return 2 * rng.random_sample(shape) - 1
    return 2 * rng.random(shape) - 1


def zeros(shape: tuple[int, int], rng: Rng) -> np.ndarray:
    """All zeros (every unit starts the same: only useful for tests and biases)."""
    return np.zeros(shape)


def _variance(kind: str, shape: tuple[int, int]) -> float:
    fan_in, fan_out = shape
    return {"glorot": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[kind]


def _uniform(kind: str) -> Initializer:
    def init(shape: tuple[int, int], rng: Rng) -> np.ndarray:
        limit = np.sqrt(3 * _variance(kind, shape))
        return rng.uniform(-limit, limit, size=shape)

    init.__name__ = f"{kind}_uniform"
    init.__doc__ = f"Uniform with the {kind} variance (see module docstring)."
    return init


def _normal(kind: str) -> Initializer:
    def init(shape: tuple[int, int], rng: Rng) -> np.ndarray:
        return rng.normal(0.0, np.sqrt(_variance(kind, shape)), size=shape)

    init.__name__ = f"{kind}_normal"
    init.__doc__ = f"Normal with the {kind} variance (see module docstring)."
    return init


INITIALIZERS = Registry("initializer")
INITIALIZERS.add("tutorial", tutorial, aliases=["uniform"])
INITIALIZERS.add("zeros", zeros)
for _kind in ("glorot", "he", "lecun"):
    _aliases = {"glorot": ["xavier"]}.get(_kind, [])
    INITIALIZERS.add(f"{_kind}_uniform", _uniform(_kind),
                     aliases=[f"{a}_uniform" for a in _aliases])
    INITIALIZERS.add(f"{_kind}_normal", _normal(_kind), aliases=[f"{a}_normal" for a in _aliases])


def get_initializer(init: str | Initializer, *, owner: str = "MLP") -> Initializer:
    """An initializer from a name or alias (see INITIALIZERS) or a callable."""
    if callable(init):
        return init
    return INITIALIZERS.lookup(init, owner=owner, parameter="init")


def initializer_name(init: str | Initializer, owner: str) -> str:
    """The registry name of `init`, for a config; a custom callable cannot be written down."""
    return INITIALIZERS.name_of(init, owner=f"{owner}.get_config", parameter="init")


def rng_for(seed: Any, init: Initializer, *, owner: str = "MLP") -> Rng:
    """The random stream for one model: RandomState for `tutorial`, else a Generator.

    `seed` may be None (fresh entropy), an int, or a Generator/RandomState,
    which is used as given.
    """
    if isinstance(seed, np.random.Generator | np.random.RandomState):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise invalid("seed", owner, "None, an int >= 0, or a numpy Generator", seed)
    if init is tutorial:
        return np.random.RandomState(seed)
    return np.random.default_rng(seed)
