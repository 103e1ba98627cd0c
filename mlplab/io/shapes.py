"""What a config implies: the arrays of the model it builds, computed without building it.

A file's config is checked against its arrays (`implied_arrays`) and against
its size (`member_layers`, `buildable_member_layers`) before any array is read
or any model is built, so a config declaring a billion units or a million
population members costs nothing to refuse. What is wrong is a `_ConfigError`,
which the archive reader turns into a `ModelFileError`.
"""

from __future__ import annotations

import inspect
import itertools
import math
from typing import Any

import numpy as np

from mlplab.layers import Activation, BatchNorm, Dense, DropConnect, Layer, layer_from_config
from mlplab.model import DTYPES

MEMBER_LAYERS = 1 << 15  # layers x population members any file may make load build ...
BYTES_PER_MEMBER_LAYER = 32  # ... or one per this many bytes of the file, if more

_MODEL_KEYS = {"MLP": {"class", "sizes", "activation", "output_activation", "bias", "init",
                       "dtype", "population", "seed", "dropconnect", "dropout"},
               "Sequential": {"class", "layers", "init", "dtype", "population", "seed"}}


class _ConfigError(ValueError):
    """What is wrong with a config; the reader turns it into a ModelFileError."""


def implied_arrays(config: Any) -> dict[str, tuple[tuple[int, ...], str]]:
    """``{"param_0": (shape, dtype), ..., "buffer_0": ...}`` of the model `config` builds.

    Only numbers are looked at: a config declaring a billion units costs
    nothing here, so a file can be refused before its model is built.
    Layers are constructed (their constructors check their options and allocate
    nothing); a layer class of the user's with parameters is asked for their
    shapes through `init_params` with an initializer that allocates nothing.
    """
    if not isinstance(config, dict):
        raise _ConfigError(f"is {_short(config)}, not a dict")
    kind = config.get("class")
    if kind not in _MODEL_KEYS:
        raise _ConfigError(f"names the class {_short(kind)}, not one of "
                           f"{sorted(_MODEL_KEYS)}")
    unknown = sorted(set(config) - _MODEL_KEYS[kind])
    if unknown:
        raise _ConfigError(f"has keys {kind} does not take: {unknown}")
    dtype = config.get("dtype", "float64")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise _ConfigError(f"has dtype {_short(dtype)}, not one of {sorted(DTYPES)}")
    population = _population(config)
    params, buffers = _mlp_shapes(config) if kind == "MLP" else _sequential_shapes(config)
    code = np.dtype(dtype).str
    implied = {f"param_{i}": ((*population, *s), code) for i, s in enumerate(params)}
    implied.update({f"buffer_{i}": ((*population, *s), code) for i, s in enumerate(buffers)})
    return implied


def member_layers(config: Any) -> int:
    """Layers times population members: the count of per-member draws building takes.

    Each costs about half a kilobyte and 50 microseconds however small its
    weights (`Sequential` initializes every member on its own), so this, not
    the weights alone, bounds what loading a population of tiny models costs.
    """
    if not isinstance(config, dict):
        raise _ConfigError(f"is {_short(config)}, not a dict")
    population = _population(config)
    layers = config.get("layers")
    sizes = config.get("sizes")
    count = (len(layers) if isinstance(layers, list) else
             2 * (len(sizes) - 1) if isinstance(sizes, list) else 0)
    return count * (population[0] if population else 1)


def buildable_member_layers(n_bytes: int) -> int:
    """The most layers x population members a file of `n_bytes` may make loading build."""
    return max(MEMBER_LAYERS, n_bytes // BYTES_PER_MEMBER_LAYER)


def _population(config: dict[str, Any]) -> tuple[int, ...]:
    """The population axes a config's seed and population agree on."""
    population = config.get("population", [])
    if not isinstance(population, list) or len(population) > 1 or not all(
            _is_int(k) and k >= 1 for k in population):
        raise _ConfigError(f"has population {_short(population)}, not [] or [K] with K >= 1")
    if "seed" not in config:
        return tuple(population)
    seed = config["seed"]
    seeds = seed if isinstance(seed, list) else [seed]
    if not seeds or not all(s is None or (_is_int(s) and s >= 0) for s in seeds):
        raise _ConfigError(f"has seed {_short(seed)}, not None, an int >= 0 or a list of "
                           "those")
    implied = [len(seed)] if isinstance(seed, list) else []
    if "population" in config and population != implied:
        raise _ConfigError(f"has population {population} but {len(seeds)} seed(s)")
    return tuple(implied)


def _mlp_shapes(config: dict[str, Any]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    sizes, bias = config.get("sizes"), config.get("bias", True)
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(
            _is_int(n) and n >= 1 for n in sizes):
        raise _ConfigError(f"has sizes {_short(sizes)}, not a list of at least two ints >= 1")
    if not isinstance(bias, bool):
        raise _ConfigError(f"has bias {_short(bias)}, not true or false")
    params: list[tuple[int, ...]] = []
    for n_in, n_out in itertools.pairwise(sizes):
        params += [(n_in, n_out), (n_out,)] if bias else [(n_in, n_out)]
    return params, []


def _sequential_shapes(config: dict[str, Any]
                       ) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    layers = config.get("layers")
    if not isinstance(layers, list) or not layers:
        raise _ConfigError(f"has layers {_short(layers)}, not a non-empty list")
    params: list[tuple[int, ...]] = []
    buffers: list[tuple[int, ...]] = []
    for i, layer_config in enumerate(layers):
        layer = _layer(i, layer_config)
        layer_params, layer_buffers = _layer_shapes(layer)
        params += layer_params
        buffers += layer_buffers
    return params, buffers


def _layer(i: int, config: Any) -> Layer:
    """Layer `i` of a config, constructed (options checked, no arrays drawn)."""
    try:
        layer = layer_from_config(config)
    except Exception as error:  # a user's layer class may raise anything at a bad config
        raise _ConfigError(f"has an unusable layer {i}: {error}") from None
    if isinstance(layer, Activation):
        try:
            takes = set(list(inspect.signature(layer.fn.forward).parameters)[1:]) - {"xp"}
        except (TypeError, ValueError):  # a function without a signature takes no options
            takes = set()
        for key, value in layer.kwargs.items():
            if key not in takes or not _is_finite_number(value):
                raise _ConfigError(f"has an unusable layer {i}: the activation "
                                   f"{layer.name!r} takes no option {key}={_short(value)}")
    return layer


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _layer_shapes(layer: Layer) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """(parameter shapes, buffer shapes) of one model's `layer`, without a population."""
    if type(layer) in (Dense, DropConnect):  # DropConnect's mask is drawn, not stored
        return [(layer.n_in, layer.n_out), (layer.n_out,)][:1 + layer.bias], []
    if type(layer) is BatchNorm:  # gamma, beta; running mean, variance and the batch count
        shapes = [(layer.n_features,)] * 2 + [()]
        return shapes[:len(layer.param_names)], shapes[:len(layer.buffer_names)]
    if not layer.param_names and not layer.buffer_names:  # Activation, Dropout, ...
        return [], []
    return _user_layer_shapes(layer)


def _user_layer_shapes(layer: Layer) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """A user's layer's shapes, drawn without memory where its `init_params` allows."""
    try:
        try:
            params = layer.init_params(np.random.default_rng(0), _shape_only)
        except Exception:  # it wrote into what it drew: zeros, as large as the config says
            params = layer.init_params(np.random.default_rng(0), lambda shape, _: np.zeros(shape))
        buffers = layer.init_buffers()
    except Exception as error:
        raise _ConfigError(f"has a {type(layer).__name__} layer that cannot draw its arrays: "
                           f"{error}") from None
    return [tuple(np.shape(p)) for p in params], [tuple(np.shape(b)) for b in buffers]


def _shape_only(shape: tuple[int, ...], rng: Any) -> np.ndarray:
    """An initializer whose arrays have the shape asked for and no memory of their own."""
    return np.broadcast_to(np.zeros(()), shape)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
