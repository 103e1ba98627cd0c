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
from mlplab.backend import NUMPY, Backend, to_numpy


def check_batch_size(batch_size: Any, n: int) -> int | None:
    """`batch_size` checked against the n rows batched: None (full batch) or 1 to n."""
    batch_size = check_int("batch_size", "fit", batch_size, low=1, allow_none=True)
    if batch_size is not None and batch_size > n:
        raise invalid("batch_size", "fit", f"at most the number of samples ({n}) or None "
                      "for full batch", batch_size)
    return batch_size


class Batches:
    """Splits (X, y) into the batches of one epoch. X: (n, n_in), y: (n, n_out)."""

    def __init__(self, X: Any, y: Any, batch_size: int | None = None, *,
                 shuffle: bool = True, seed: Any = None, backend: Backend = NUMPY) -> None:
        n = X.shape[0]
        batch_size = check_batch_size(batch_size, n)
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
                yield self.batch(rows)
            else:
                yield self.batch(order[start:start + self.size])

    def batch(self, rows: Any) -> tuple[Any, Any]:
        """The rows `rows` (a slice or host integer indices) of X and y."""
        return (self.X[rows], self.y[rows]) if isinstance(rows, slice) else self.take(rows)

    def take(self, rows: np.ndarray) -> tuple[Any, Any]:
        """The rows `rows` (host integer indices) of X and y, on the data's backend."""
        if self.backend.is_numpy:
            return self.X[rows], self.y[rows]
        xp, index = self.backend.xp, self.backend.asarray(rows)
        return xp.take(self.X, index, axis=0), xp.take(self.y, index, axis=0)


class WeightedBatches(Batches):
    """Batches of an objective with per-sample weights: each batch's weights go with it.

    Before yielding a batch it sets the objective's ``batch_weights`` to those
    of its rows, and ``loss_share`` to the batch's share of the epoch's
    weighted loss (its rows' s_i m_i over all rows'; see `mlplab.losses`), by
    which the epoch's loss adds up the batches' losses. With a row of weights
    per member, (*population, n), both are per member: ``loss_share`` is then
    (*population,), and ``member_share`` each member's share of its rows of
    weight > 0 (by which the epoch's metrics add up; None for shared weights).
    """

    def __init__(self, objective: Any, batch_size: int | None, *, shuffle: bool = True,
                 seed: Any = None) -> None:
        super().__init__(objective.X, objective.y, batch_size, shuffle=shuffle, seed=seed,
                         backend=objective.model.backend)
        self.objective = objective
        self.weights = objective.sample_weight
        host = np.asarray(to_numpy(self.weights), dtype=float)
        mass = objective.loss.sample_mass(to_numpy(objective.y), np)
        self._mass = host if mass is None else host * np.asarray(mass, dtype=float)
        self.per_member = host.ndim > 1
        if self.per_member:
            self._total = np.maximum(self._mass.sum(axis=-1), np.finfo(float).tiny)
            self._positive = host > 0
            self._positive_total = self._positive.sum(axis=-1)
        else:
            self._total = max(float(self._mass.sum()), np.finfo(float).tiny)
        self.loss_share: Any = 1.0
        self.member_share: np.ndarray | None = None

    def batch(self, rows: Any) -> tuple[Any, Any]:
        objective, backend = self.objective, self.backend
        if isinstance(rows, slice) or backend.is_numpy:
            objective.batch_weights = self.weights[..., rows]
        else:
            objective.batch_weights = backend.xp.take(self.weights, backend.asarray(rows),
                                                      axis=-1)
        if self.per_member:
            share = self._mass[..., rows].sum(axis=-1) / self._total
            self.loss_share = share if backend.is_numpy else backend.asarray(share)
            self.member_share = self._positive[..., rows].sum(axis=-1) / self._positive_total
        else:
            self.loss_share = float(self._mass[rows].sum()) / self._total
        return super().batch(rows)
