"""Two regression surfaces over the plane, for drawing what a network fits: a plane and bumps.

Each returns ``Dataset(X, y)`` with X: (n_samples, 2) uniform on [-1, 1]^2 and
y: (n_samples,) float64, the surface's value plus Gaussian noise of standard
deviation `noise` (drawn whatever its size, so one seed gives the same points
at every noise level).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number
from mlplab.data.dataset import Dataset, make_rng


def plane(n_samples: int = 200, *, noise: float = 0.0, seed: Any = None) -> Dataset:
    """y = (x0 - x1) / 2: a tilted plane, which a network without hidden layers can fit."""
    X, rng = _points("plane", n_samples, noise, seed)
    return Dataset(X, (X[:, 0] - X[:, 1]) / 2 + noise * rng.standard_normal(len(X)))


def bumps(n_samples: int = 200, *, noise: float = 0.0, seed: Any = None) -> Dataset:
    """y = exp(-4 |x - c|^2) - exp(-4 |x + c|^2) with c = (0.5, 0.5): a hill and a hollow."""
    X, rng = _points("bumps", n_samples, noise, seed)
    c = np.array([0.5, 0.5])
    y = np.exp(-4 * ((X - c) ** 2).sum(axis=1)) - np.exp(-4 * ((X + c) ** 2).sum(axis=1))
    return Dataset(X, y + noise * rng.standard_normal(len(X)))


def _points(owner: str, n_samples: Any, noise: Any, seed: Any
            ) -> tuple[np.ndarray, np.random.Generator]:
    n_samples = check_int("n_samples", owner, n_samples, low=1)
    check_number("noise", owner, noise, low_open=False)
    rng = make_rng(seed, owner)
    return rng.uniform(-1.0, 1.0, (n_samples, 2)), rng
