"""Mini-batch iteration: which rows each training step sees.

Full batch (``batch_size=None``) gives the whole arrays every step, with no
copies. Mini-batches walk the rows in order, or in a fresh permutation every
epoch drawn from the batcher's own generator when shuffling.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid


class Batches:
    """Splits (X, y) into the batches of one epoch. X: (n, n_in), y: (n, n_out)."""

    def __init__(self, X: np.ndarray, y: np.ndarray, batch_size: int | None = None, *,
                 shuffle: bool = True, seed: Any = None) -> None:
        n = X.shape[0]
        batch_size = check_int("batch_size", "fit", batch_size, low=1, allow_none=True)
        if batch_size is not None and batch_size > n:
            raise invalid("batch_size", "fit", f"at most the number of samples ({n}) or None "
                          "for full batch", batch_size)
        self.X, self.y, self.n = X, y, n
        self.size = n if batch_size is None else batch_size
        self.shuffle = shuffle and self.size < n
        self.rng = np.random.default_rng(seed)
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

    def _minibatches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = self.rng.permutation(self.n) if self.shuffle else None
        for start in range(0, self.n, self.size):
            if order is None:
                rows: Any = slice(start, start + self.size)
            else:
                rows = order[start:start + self.size]
            yield self.X[rows], self.y[rows]
