"""Splitting rows into two parts, optionally stratified by class."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import invalid


def split_indices(n: int, fraction: float, *, seed: Any = None,
                  labels: np.ndarray | None = None, owner: str = "split_indices",
                  name: str = "fraction") -> tuple[np.ndarray, np.ndarray]:
    """Shuffled row indices (kept, held out) with about `fraction` of the rows held out.

    labels: (n,) class labels; when given, each class is split in the same
    proportion (stratified), so rare classes appear on both sides.
    Both parts are non-empty; fraction must lie in (0, 1).
    """
    if not isinstance(fraction, float | int) or not 0 < fraction < 1:
        raise invalid(name, owner, "a float in the range (0, 1)", fraction)
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                    for c in np.unique(labels)]
    counts = _held_counts([len(g) for g in groups], fraction, n)
    held = np.concatenate([rng.permutation(g)[:k] for g, k in zip(groups, counts, strict=True)])
    if len(held) == 0 or len(held) == n:
        raise invalid(name, owner, f"a fraction that leaves rows on both sides of {n} samples",
                      fraction)
    mask = np.zeros(n, dtype=bool)
    mask[held] = True
    return rng.permutation(np.flatnonzero(~mask)), rng.permutation(held)


def _held_counts(sizes: list[int], fraction: float, n: int) -> np.ndarray:
    """Rows to hold out per group: round(fraction * n) in all, shared by largest remainder."""
    quotas = fraction * np.asarray(sizes, dtype=float)
    counts = np.floor(quotas).astype(int)
    short = round(fraction * n) - counts.sum()
    counts[np.argsort(counts - quotas, kind="stable")[:short]] += 1
    return counts


def class_labels(y: np.ndarray) -> np.ndarray:
    """Class per row of targets: argmax of one-hot rows, else the single column's value."""
    return y.argmax(axis=1) if y.shape[1] > 1 else y[:, 0]
