"""Mini-batch iteration: which rows each training step sees.

Full batch (``batch_size=None``) gives the whole arrays every step, with no
copies. Mini-batches walk the rows in order, or in a fresh permutation every
epoch drawn from the batcher's own generator when shuffling. The order is
drawn on the host with NumPy, so a seed gives the same batches on every backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.backend import NUMPY, Backend


class Batches:
    """Splits (X, y) into the batches of one epoch. X: (n, n_in), y: (n, n_out)."""

    def __init__(self, X: Any, y: Any, batch_size: int | None = None, *,
                 shuffle: bool = True, seed: Any = None, backend: Backend = NUMPY) -> None:
        n = X.shape[0]
        batch_size = check_int("batch_size", "fit", batch_size, low=1, allow_none=True)
        if batch_size is not None and batch_size > n:
            raise invalid("batch_size", "fit", f"at most the number of samples ({n}) or None "
                          "for full batch", batch_size)
        self.X, self.y, self.n = X, y, n
        self.size = n if batch_size is None else batch_size
        self.shuffle = shuffle and self.size < n
        self.rng = np.random.default_rng(seed)
        self.backend = backend
        self._whole = ((X, y),)

    @property
    def per_epoch(self) -> int:
        """Number of steps in one epoch (the last batch may be smaller)."""
        return -(-self.n // self.size)

    def epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]] | tuple:
        """The batches of the next epoch, in order."""
        if self.size == self.n:
            return self._whole
        return self._minibatches()

    def _minibatches(self) -> Iterator[tuple[Any, Any]]:
        order = self.rng.permutation(self.n) if self.shuffle else None
        for start in range(0, self.n, self.size):
            if order is None:
                rows: Any = slice(start, start + self.size)
                yield self.X[rows], self.y[rows]
            else:
                yield self.take(order[start:start + self.size])

    def take(self, rows: np.ndarray) -> tuple[Any, Any]:
        """The rows `rows` (host integer indices) of X and y, on the data's backend."""
        if self.backend.is_numpy:
            return self.X[rows], self.y[rows]
        xp, index = self.backend.xp, self.backend.asarray(rows)
        return xp.take(self.X, index, axis=0), xp.take(self.y, index, axis=0)
