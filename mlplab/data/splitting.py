"""Shuffled train/test and train/validation/test splits, optionally stratified by class."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.data.dataset import make_rng


class TrainTest(NamedTuple):
    """Rows split in two, in scikit-learn's order. X_*: (n_*, ...); y_*: (n_*, ...)."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


class TrainValTest(NamedTuple):
    """Rows split in three: training, validation (for tuning) and test (for the last word)."""

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray


def train_test_split(X: Any, y: Any, *, test_size: float | int = 0.25, seed: Any = None,
                     stratify: bool = False) -> TrainTest:
    """Shuffle the rows of X and y together and hold out `test_size` of them.

    X: (n_samples, ...); y: (n_samples, ...). test_size: a fraction in (0, 1),
    rounded up to whole rows, or a number of rows. stratify: split every class in
    the same proportion (y holds class labels (n_samples,) or one-hot rows), so
    each part's class counts are within one row of their share.
    """
    owner = "train_test_split"
    X, y = _check_pair(X, y, owner)
    sizes = [_rows("test_size", owner, test_size, len(X))]
    test, train = _partition(_strata(y, stratify, owner), sizes, make_rng(seed, owner))
    return TrainTest(X[train], X[test], y[train], y[test])


def train_val_test_split(X: Any, y: Any, *, val_size: float | int = 0.15,
                         test_size: float | int = 0.15, seed: Any = None,
                         stratify: bool = False) -> TrainValTest:
    """Shuffle the rows of X and y together and split them into train, validation and test.

    X: (n_samples, ...); y: (n_samples, ...). val_size and test_size: fractions of
    all rows in (0, 1), rounded up to whole rows, or numbers of rows; the rest
    trains. stratify as in `train_test_split`.
    """
    owner = "train_val_test_split"
    X, y = _check_pair(X, y, owner)
    sizes = [_rows("val_size", owner, val_size, len(X)),
             _rows("test_size", owner, test_size, len(X))]
    if sum(sizes) >= len(X):
        raise invalid("test_size", owner, f"small enough that val_size ({val_size!r}) and "
                      f"test_size leave rows for training out of {len(X)}", test_size)
    val, test, train = _partition(_strata(y, stratify, owner), sizes, make_rng(seed, owner))
    return TrainValTest(X[train], X[val], X[test], y[train], y[val], y[test])


def _check_pair(X: Any, y: Any, owner: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or len(X) < 2:
        raise invalid("X", owner, "an array of at least 2 rows", f"shape {X.shape}", raw=True)
    if y.ndim == 0 or len(y) != len(X):
        raise invalid("y", owner, f"an array of {len(X)} rows, one per row of X",
                      f"shape {y.shape}", raw=True)
    return X, y


def _rows(name: str, owner: str, size: Any, n: int) -> int:
    """A part's size in rows from a fraction (rounded up) or a count."""
    if isinstance(size, int | np.integer) and not isinstance(size, bool) and 0 < size < n:
        return int(size)
    if isinstance(size, float) and 0 < size < 1:
        return max(1, math.ceil(size * n - 1e-9))  # 0.3 * 10 is 3.0000000000000004
    raise invalid(name, owner, f"a fraction in (0, 1) or a number of rows in [1, {n - 1}]",
                  size)


def _strata(y: np.ndarray, stratify: Any, owner: str) -> np.ndarray:
    """The class of every row when stratifying, else one class for all. (n_samples,)"""
    if not isinstance(stratify, bool | np.bool_):
        raise invalid("stratify", owner, "True or False", stratify)
    if not stratify:
        return np.zeros(len(y), dtype=np.int64)
    labels = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    if labels.dtype.kind == "f" and np.any(labels != np.round(labels)):
        raise invalid("y", owner, "class labels (whole numbers or one-hot rows) to stratify",
                      "fractional targets", raw=True)
    return labels


def _partition(labels: np.ndarray, sizes: list[int],
               rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled row indices: one array per entry of `sizes`, then one with the other rows.

    Every class is shuffled and cut in the proportions of `sizes`.
    """
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    counts = _apportion(np.array([len(g) for g in groups]), sizes, rng)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(sizes) + 1)]
    for group, row in zip(groups, counts, strict=True):
        pieces = np.split(rng.permutation(group), np.cumsum(row))
        for part, piece in zip(parts, pieces, strict=True):
            part.append(piece)
    return [rng.permutation(np.concatenate(part)) for part in parts]


def _apportion(group_sizes: np.ndarray, sizes: list[int],
               rng: np.random.Generator) -> np.ndarray:
    """Rows each group gives each part: (n_groups, len(sizes)).

    Largest remainders: every group first gives the whole rows of its share of a
    part, then the groups furthest below their share (ties broken at random) give
    one more each until the part is full, so no group is more than one row off.
    """
    n, left = group_sizes.sum(), group_sizes.copy()
    columns = []
    for size in sizes:
        share = group_sizes * size / n
        take = np.minimum(np.floor(share).astype(np.int64), left)
        order = np.lexsort((rng.random(len(share)), take - share))
        while take.sum() < size:
            for g in order[take[order] < left[order]][: size - take.sum()]:
                take[g] += 1
        left -= take
        columns.append(take)
    return np.stack(columns, axis=1)
