"""DropConnect: a Dense layer whose weights, not units, are dropped while training."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.initializers import Initializer
from mlplab.layers.dense import Dense
from mlplab.streams import UNWRITABLE, layer_stream, written_seed


class DropConnect(Dense):
    """DropConnect (Wan et al., ICML 2013): z = x @ (W * mask / (1 - rate)) + b while training.

    x: (*population, n_samples, n_in); W: (*population, n_in, n_out); b: (*population, n_out).
    Each training forward keeps every weight with probability 1 - rate: the
    0/1 mask is shaped like W, population axes included (every model draws its
    own), and is drawn on the host from the NumPy Generator passed in as
    ``forward(x, training=True, rng=...)`` (a list: one per model), as Dropout's.
    The bias is never dropped. Predict (``training=False``) is the plain Dense.

    Gradients with M = mask / (1 - rate): dW = M * (x^T @ grad),
    db = sum of grad over samples, dx = grad @ (W * M)^T.

    Inference differs from the paper's. Wan et al. scale nothing while training
    and, at inference, match a Gaussian to each unit's pre-activation (mean
    p * x @ W, variance p (1 - p) * x^2 @ W^2, p = 1 - rate), push samples of
    it through the activation and average them. Here kept weights are scaled by
    1 / (1 - rate) while training (inverted, as Dropout), so inference uses the
    mean alone: the plain weights, one deterministic matrix product, which is
    also what ONNX export writes. The paper reports the mean ("mean inference")
    as slightly worse than its sampling on some of its networks.

    rate: a float in [0, 1), or an array of one per model of a population.
    seed: None (the run's seed decides), an int or a Generator; or a list of
    those, one per model, so member k draws exactly the masks a single layer
    with ``seed[k]`` would. ``set_mask(keep)`` fixes the 0/1 weight mask of
    every training forward (for finite-difference checks) until ``set_mask(None)``.
    """

    needs_rng = True
    _SCRATCH = (*Dense._SCRATCH, "_W_dropped")

    def __init__(self, n_in: int, n_out: int, rate: Any, *, bias: bool = True,
                 init: str | Initializer | None = None, seed: Any = None) -> None:
        super().__init__(n_in, n_out, bias=bias, init=init)
        self.rate = _check_rate(rate)
        self.seed = _check_seed(seed)
        self.population = _implied_population(self.rate, self.seed)
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
            raise invalid(per_model, "DropConnect", f"one value per model of the model's "
                          f"population {tuple(population)}", f"{implied[0]} values", raw=True)
        super().set_population(population)

    def set_mask(self, keep: Any) -> None:
        """Use the 0/1 array `keep` (1 = keep), shaped like W, in every training forward."""
        if keep is not None:
            keep = np.asarray(keep)
            if keep.dtype.kind not in "biuf" or not np.all((keep == 0) | (keep == 1)):
                raise invalid("keep", "DropConnect.set_mask", "an array of 0s and 1s "
                              "(1 = keep) or None", keep)
            keep = keep.astype(bool)
        self._fixed_mask = keep

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        if not training or (self._fixed_mask is None and not self._drops):
            self._scaled_mask = None
            return super().forward(x)
        W = self.params[0]
        keep = self._fixed_mask if self._fixed_mask is not None else self._draw(rng)
        self._scaled_mask = self.backend.asarray(keep * self._scale, dtype=W.dtype)
        self._x, self._W_dropped = x, W * self._scaled_mask
        z = self._matmul(x, self._W_dropped)
        if self.bias:
            z += self.params[1][..., None, :]
        return z

    def _draw(self, rng: Any) -> np.ndarray:
        """A fresh keep-mask shaped like W, population axes included."""
        if rng is None:
            rng = self._own_stream()
        shape = (self.n_in, self.n_out)
        if isinstance(rng, list):
            uniform = np.stack([g.random(shape) for g in rng])
        else:
            uniform = rng.random((*self.population, *shape))
        return uniform >= self._rate

    def _own_stream(self) -> Any:
        """The stream for calls made by hand, without a run's streams (made once)."""
        if self._fallback_rng is None:
            self._fallback_rng = layer_stream(self, None, 0)
        return self._fallback_rng

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        if self._scaled_mask is None:
            return super().backward(grad, need_input_grad)
        dW = self._scaled_mask * self._matmul(self._x.mT, grad)
        self.grads = [dW, self.backend.xp.sum(grad, axis=-2)] if self.bias else [dW]
        if not need_input_grad:
            return None
        return self._matmul(grad, self._W_dropped.mT)

    def get_config(self) -> dict[str, Any]:
        config = {**super().get_config(), "type": "DropConnect",
                  "rate": np.asarray(self.rate).tolist()}
        if self.seed is not None:
            seed = written_seed(self.seed)
            if seed is UNWRITABLE:
                raise invalid("seed", "DropConnect.get_config", "None, an int or a list of "
                              "ints (a Generator cannot be written into a config)", self.seed)
            config["seed"] = seed
        return config


def _check_rate(rate: Any) -> Any:
    expected = "a float or array of floats in the range [0, 1)"
    try:
        value = check_number("rate", "DropConnect", rate, low=0.0, low_open=False, high=1.0)
    except ValueError:
        raise invalid("rate", "DropConnect", expected, rate) from None
    if np.any(np.asarray(value) >= 1):  # rate 1 drops every weight and scales by 1/0
        raise invalid("rate", "DropConnect", expected, rate)
    return value


def _check_seed(seed: Any) -> Any:
    """None, an int >= 0, a Generator, or a non-empty list of those."""
    seeds = seed if isinstance(seed, list | tuple) else [seed]
    if isinstance(seed, list | tuple) and not seed:
        raise invalid("seed", "DropConnect", "a seed or a non-empty list of seeds", seed)
    for s in seeds:
        if s is not None and not isinstance(s, np.random.Generator) and (
                isinstance(s, bool) or not isinstance(s, int | np.integer) or s < 0):
            raise invalid("seed", "DropConnect", "None, an int >= 0, a numpy Generator, or a "
                          "list of those (one per model)", seed)
    return list(seed) if isinstance(seed, tuple) else seed


def _implied_population(rate: Any, seed: Any) -> tuple[int, ...]:
    """The population that per-model rates or seeds spell out (empty if none do)."""
    shapes = {np.shape(rate)} if np.ndim(rate) else set()
    if isinstance(seed, list):
        shapes.add((len(seed),))
    if len(shapes) > 1:
        raise invalid("seed", "DropConnect", f"one seed per rate ({np.size(rate)})",
                      f"{len(seed)} seeds", raw=True)
    return shapes.pop() if shapes else ()
