"""DropConnect: a Dense layer whose weights, not units, are dropped while training."""

from __future__ import annotations

from typing import Any

from mlplab.initializers import Initializer
from mlplab.layers.dense import Dense
from mlplab.layers.mask import RandomMask


class DropConnect(RandomMask, Dense):
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

    _SCRATCH = (*Dense._SCRATCH, "_W_dropped")

    def __init__(self, n_in: int, n_out: int, rate: Any, *, bias: bool = True,
                 init: str | Initializer | None = None, seed: Any = None) -> None:
        super().__init__(n_in, n_out, bias=bias, init=init)
        self._init_mask(rate, seed)

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        if not self._drops_now(training):
            return super().forward(x)
        W, shape = self.params[0], (self.n_in, self.n_out)
        keep = self._keep(shape, (*self.population, *shape), rng)  # shaped like W
        self._scaled_mask = self.backend.asarray(keep * self._scale, dtype=W.dtype)
        self._x, self._W_dropped = x, W * self._scaled_mask
        z = self._matmul(x, self._W_dropped)
        if self.bias:
            z += self.params[1][..., None, :]
        return z

    def backward(self, grad: Any, need_input_grad: bool = True) -> Any:
        if self._scaled_mask is None:
            return super().backward(grad, need_input_grad)
        dW = self._scaled_mask * self._matmul(self._x.mT, grad)
        self.grads = [dW, self.backend.xp.sum(grad, axis=-2)] if self.bias else [dW]
        if not need_input_grad:
            return None
        return self._matmul(grad, self._W_dropped.mT)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "type": "DropConnect", **self._mask_config()}
