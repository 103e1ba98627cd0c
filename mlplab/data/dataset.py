"""What every loader returns, and the seed handling they share."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid


class Dataset(NamedTuple):
    """Features and targets. X: (n_samples, n_features); y: (n_samples,) or None.

    A plain tuple underneath, so ``X, y = load("moons")`` works.
    """

    X: np.ndarray
    y: np.ndarray | None


def make_rng(seed: Any, owner: str) -> np.random.Generator:
    """A Generator from None (fresh entropy), an int >= 0, or a Generator (used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise invalid("seed", owner, "None, an int >= 0, or a numpy Generator", seed)
    return np.random.default_rng(seed)
