"""RandomMask: what Dropout and DropConnect share, a 0/1 keep-mask drawn per training step.

A layer that mixes this in keeps each entry (a unit for Dropout, a weight for
DropConnect) with probability 1 - rate and scales the kept ones by
1 / (1 - rate), so predict uses the plain values. The mask is drawn on the
host from the NumPy Generator the training run passes in (a list of them: one
per model of a population), or from a stream of the layer's own for calls made
by hand; ``set_mask`` fixes it for finite-difference checks.

rate: a float in [0, 1), or one per model of a population. seed: None (the
run's seed decides), an int >= 0 or a Generator; or a list of those, one per
model, so that member k draws exactly what a single layer with ``seed[k]`` would.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.streams import UNWRITABLE, layer_stream, written_seed


class RandomMask:
    """The keep-mask machinery; the layer calls `_init_mask` in its constructor. It comes first
    among the layer's bases, so its `set_population` checks before the layer's own runs."""

    needs_rng = True

    def _init_mask(self, rate: Any, seed: Any) -> None:
        owner = type(self).__name__
        self.rate = _check_rate(rate, owner)
        self.seed = _check_seed(seed, owner)
        self.population = _implied_population(self.rate, self.seed, owner)
        rate_array = np.asarray(self.rate)
        self._rate = rate_array.reshape((*rate_array.shape, 1, 1)) if rate_array.ndim else rate
        self._scale = 1 / (1 - self._rate)
        self._drops = bool(np.any(rate_array > 0))
        self._fixed_mask: np.ndarray | None = None
        self._scaled_mask: Any = None
        self._fallback_rng: Any = None

    def set_population(self, population: tuple[int, ...]) -> None:
        """Per-model rates or seeds must match the model's population; then the layer's own."""
        implied = _implied_population(self.rate, self.seed, type(self).__name__)
        if implied and implied != tuple(population):
            per_model = "rate" if np.ndim(self.rate) else "seed"
            raise invalid(per_model, type(self).__name__, f"one value per model of the "
                          f"model's population {tuple(population)}", f"{implied[0]} values",
                          raw=True)
        super().set_population(population)  # type: ignore[misc]

    def _drops_now(self, training: bool) -> bool:
        """Whether this forward draws (or uses the fixed) mask: in training, with a rate above
        0 or a fixed mask. When not, the last mask is forgotten, so backward passes through."""
        if training and (self._fixed_mask is not None or self._drops):
            return True
        self._scaled_mask = None
        return False

    def set_mask(self, keep: Any) -> None:
        """Use the 0/1 array `keep` (1 = keep) in every training forward; None: random again."""
        if keep is not None:
            keep = np.asarray(keep)
            if keep.dtype.kind not in "biuf" or not np.all((keep == 0) | (keep == 1)):
                raise invalid("keep", f"{type(self).__name__}.set_mask", "an array of 0s and "
                              "1s (1 = keep) or None", keep)
            keep = keep.astype(bool)
        self._fixed_mask = keep

    def _keep(self, member_shape: tuple[int, ...], full_shape: tuple[int, ...],
              rng: Any) -> np.ndarray:
        """The fixed mask, or a fresh one: `member_shape` per Generator of a list, else all
        of `full_shape` (population axes included) from one Generator."""
        if self._fixed_mask is not None:
            return self._fixed_mask
        if rng is None:
            rng = self._own_stream()
        if isinstance(rng, list):
            uniform = np.stack([g.random(member_shape) for g in rng])
        else:
            uniform = rng.random(full_shape)
        return uniform >= self._rate

    def _own_stream(self) -> Any:
        """The stream for calls made by hand, without a run's streams (made once)."""
        if self._fallback_rng is None:
            self._fallback_rng = layer_stream(self, None, 0)
        return self._fallback_rng

    def _mask_config(self) -> dict[str, Any]:
        """The rate, and the seed when it can be written down."""
        config: dict[str, Any] = {"rate": np.asarray(self.rate).tolist()}
        if self.seed is not None:
            seed = written_seed(self.seed)
            if seed is UNWRITABLE:
                raise invalid("seed", f"{type(self).__name__}.get_config", "None, an int or a "
                              "list of ints (a Generator cannot be written into a config)",
                              self.seed)
            config["seed"] = seed
        return config


def _check_rate(rate: Any, owner: str) -> Any:
    expected = "a float or array of floats in the range [0, 1)"
    try:
        value = check_number("rate", owner, rate, low=0.0, low_open=False, high=1.0)
    except ValueError:
        raise invalid("rate", owner, expected, rate) from None
    if np.any(np.asarray(value) >= 1):  # rate 1 drops everything and scales by 1/0
        raise invalid("rate", owner, expected, rate)
    return value


def _check_seed(seed: Any, owner: str) -> Any:
    """None, an int >= 0, a Generator, or a non-empty list of those."""
    seeds = seed if isinstance(seed, list | tuple) else [seed]
    if isinstance(seed, list | tuple) and not seed:
        raise invalid("seed", owner, "a seed or a non-empty list of seeds", seed)
    for s in seeds:
        if s is not None and not isinstance(s, np.random.Generator) and (
                isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0):
            raise invalid("seed", owner, "None, an int >= 0, a numpy Generator, or a list "
                          "of those (one per model)", seed)
    return list(seed) if isinstance(seed, tuple) else seed


def _implied_population(rate: Any, seed: Any, owner: str) -> tuple[int, ...]:
    """The population that per-model rates or seeds spell out (empty if none do)."""
    shapes = {np.shape(rate)} if np.ndim(rate) else set()
    if isinstance(seed, list | tuple):
        shapes.add((len(seed),))
    if len(shapes) > 1:
        raise invalid("seed", owner, f"one seed per rate ({np.size(rate)})",
                      f"{len(seed)} seeds", raw=True)
    return shapes.pop() if shapes else ()
