"""Dropout: inverted dropout whose random stream is passed in per call; the identity in predict."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.layers.base import Layer
from mlplab.layers.mask import RandomMask


class Dropout(RandomMask, Layer):
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

    def __init__(self, rate: Any, *, seed: Any = None) -> None:
        super().__init__()
        self._init_mask(rate, seed)

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        if not self._drops_now(training):
            return x
        full = np.broadcast_shapes(x.shape, (*self.population, 1, 1))
        keep = self._keep(x.shape[-2:], full, rng)  # shaped like the activations
        self._scaled_mask = self.backend.asarray(keep * self._scale, dtype=x.dtype)
        return x * self._scaled_mask

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        if not need_input_grad:
            return None
        return grad if self._scaled_mask is None else grad * self._scaled_mask

    def get_config(self) -> dict[str, Any]:
        return {"type": "Dropout", **self._mask_config()}
