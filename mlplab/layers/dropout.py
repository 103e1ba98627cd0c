"""Dropout: inverted dropout whose random stream is passed in per call; the identity in predict."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.layers.base import Layer
from mlplab.streams import UNWRITABLE, layer_stream, written_seed


class Dropout(Layer):
    """Inverted dropout: while training, zero each unit with probability `rate`.

    x: (*population, n_samples, n) or data shared by a population (n_samples, n).
    Kept units are scaled by 1 / (1 - rate), so the expected activation is
    unchanged and predict (``training=False``) is the identity. The keep-mask
    has the activations' shape, population axes included: every model of a
    population draws its own mask.

    The mask is drawn on the host from the NumPy Generator passed in as
    ``forward(x, training=True, rng=...)`` (a list of Generators: one per model
    of a population) and moved to the model's backend, so a seed gives the same
    masks on every backend. `fit` passes each run's streams (see
    `mlplab.streams`); called by hand without `rng`, the layer draws from a
    stream of its own made from `seed`.

    rate: a float in [0, 1), or an array with one rate per model of a population.
    seed: None (the run's seed decides), an int or a numpy Generator that the
    masks are drawn from; or a list of those, one per model, so that member k
    draws exactly the masks a single layer with ``seed[k]`` would.
    ``set_mask(keep)`` fixes the 0/1 keep-mask of every training forward (for
    finite-difference checks) until ``set_mask(None)``.
    """

    needs_rng = True

    def __init__(self, rate: Any, *, seed: Any = None) -> None:
        super().__init__()
        self.rate = _check_rate(rate)
        self.seed = _check_seed(seed)
        self.population = _implied_population(self.rate, seed)
        rate_array = np.asarray(self.rate)
        self._rate = rate_array.reshape((*rate_array.shape, 1, 1)) if rate_array.ndim else rate
        self._scale = 1 / (1 - self._rate)
        self._drops = bool(np.any(rate_array > 0))
        self._fixed_mask: np.ndarray | None = None
        self._scaled_mask: Any = None
        self._fallback_rng: Any = None

    def set_population(self, population: tuple[int, ...]) -> None:
        implied = _implied_population(self.rate, self.seed)
        if implied and implied != tuple(population):
            per_model = "rate" if np.ndim(self.rate) else "seed"
            raise invalid(per_model, "Dropout", f"one value per model of the model's "
                          f"population {tuple(population)}", f"{implied[0]} values", raw=True)
        super().set_population(population)

    def set_mask(self, keep: Any) -> None:
        """Use the 0/1 array `keep` (1 = keep) in every training forward; None: random again."""
        if keep is not None:
            keep = np.asarray(keep)
            if keep.dtype.kind not in "biuf" or not np.all((keep == 0) | (keep == 1)):
                raise invalid("keep", "Dropout.set_mask", "an array of 0s and 1s (1 = keep) "
                              "or None", keep)
            keep = keep.astype(bool)
        self._fixed_mask = keep

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        if not training or (self._fixed_mask is None and not self._drops):
            self._scaled_mask = None
            return x
        keep = self._fixed_mask if self._fixed_mask is not None else self._draw(x.shape, rng)
        self._scaled_mask = self.backend.asarray(keep * self._scale, dtype=x.dtype)
        return x * self._scaled_mask

    def _draw(self, shape: tuple[int, ...], rng: Any) -> np.ndarray:
        """A fresh keep-mask shaped like the activations, population axes included."""
        if rng is None:
            rng = self._own_stream()
        if isinstance(rng, list):
            uniform = np.stack([g.random(shape[-2:]) for g in rng])
        else:
            uniform = rng.random(np.broadcast_shapes(shape, (*self.population, 1, 1)))
        return uniform >= self._rate

    def _own_stream(self) -> Any:
        """The stream for calls made by hand, without a run's streams (made once)."""
        if self._fallback_rng is None:
            self._fallback_rng = layer_stream(self, None, 0)
        return self._fallback_rng

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        if not need_input_grad:
            return None
        return grad if self._scaled_mask is None else grad * self._scaled_mask

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": "Dropout", "rate": np.asarray(self.rate).tolist()}
        if self.seed is not None:
            seed = written_seed(self.seed)
            if seed is UNWRITABLE:
                raise invalid("seed", "Dropout.get_config", "None, an int or a list of ints "
                              "(a Generator cannot be written into a config)", self.seed)
            config["seed"] = seed
        return config


def _check_rate(rate: Any) -> Any:
    expected = "a float or array of floats in the range [0, 1)"
    try:
        value = check_number("rate", "Dropout", rate, low=0.0, low_open=False, high=1.0)
    except ValueError:
        raise invalid("rate", "Dropout", expected, rate) from None
    if np.any(np.asarray(value) >= 1):  # rate 1 drops everything and scales by 1/0
        raise invalid("rate", "Dropout", expected, rate)
    return value


def _check_seed(seed: Any) -> Any:
    """None, an int >= 0, a Generator, or a non-empty list of those."""
    seeds = seed if isinstance(seed, list | tuple) else [seed]
    if isinstance(seed, list | tuple) and not seed:
        raise invalid("seed", "Dropout", "a seed or a non-empty list of seeds", seed)
    for s in seeds:
        if s is not None and not isinstance(s, np.random.Generator) and (
                isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0):
            raise invalid("seed", "Dropout", "None, an int >= 0, a numpy Generator, or a list "
                          "of those (one per model)", seed)
    return list(seed) if isinstance(seed, tuple) else seed


def _implied_population(rate: Any, seed: Any) -> tuple[int, ...]:
    """The population that per-model rates or seeds spell out (empty if none do)."""
    shapes = {np.shape(rate)} if np.ndim(rate) else set()
    if isinstance(seed, list | tuple):
        shapes.add((len(seed),))
    if len(shapes) > 1:
        raise invalid("seed", "Dropout", f"one seed per rate ({np.size(rate)})",
                      f"{len(seed)} seeds", raw=True)
    return shapes.pop() if shapes else ()


