"""Two-dimensional toy sets for drawing decision boundaries: XOR, circles, moons, spirals,
Gaussian clusters.

Each returns ``Dataset(X, y)`` with X: (n_samples, 2) float64 and y: (n_samples,)
int64 class labels, classes as equal in size as n_samples allows, rows shuffled.
The points are drawn first and Gaussian noise of standard deviation `noise` is
added after, always from the same draws: one seed gives the same points at every
noise level, so changing `noise` alone shows what noise does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.data.dataset import Dataset, make_rng

# XOR's four corners, ordered so that labels alternate: a remainder of n_samples
# spread over the first corners keeps the two classes within one sample of each other.
XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0]])


def xor(n_samples: int = 200, *, noise: float = 0.1, seed: Any = None) -> Dataset:
    """Points around the corners of the unit square, labelled XOR of the coordinates.

    With noise 0 every point is one of the tutorials' inputs (0, 0), (0, 1), (1, 0),
    (1, 1), and y = x0 XOR x1. X: (n_samples, 2); y: (n_samples,).
    """
    n_samples, noise, rng = _check("xor", n_samples, noise, seed, classes=2)
    corner = _labels(n_samples, 4)
    X = XOR_CORNERS[corner]
    y = (X[:, 0] != X[:, 1]).astype(np.int64)
    return _finish(X, y, noise, rng)


def circles(n_samples: int = 200, *, noise: float = 0.1, factor: float = 0.5,
            seed: Any = None) -> Dataset:
    """A circle of radius 1 (label 0) around one of radius `factor` (label 1).

    Angles are uniform on [0, 2 pi). X: (n_samples, 2); y: (n_samples,).
    """
    n_samples, noise, rng = _check("circles", n_samples, noise, seed, classes=2)
    factor = _scalar("factor", "circles", factor, high=1.0)
    y = _labels(n_samples, 2)
    angle = rng.uniform(0.0, 2 * np.pi, n_samples)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(X, y, noise, rng)


def moons(n_samples: int = 200, *, noise: float = 0.1, seed: Any = None) -> Dataset:
    """Two interleaving half circles of radius 1, as in scikit-learn's make_moons.

    Label 0: (cos t, sin t); label 1: (1 - cos t, 0.5 - sin t); t uniform on [0, pi].
    X: (n_samples, 2); y: (n_samples,).
    """
    n_samples, noise, rng = _check("moons", n_samples, noise, seed, classes=2)
    y = _labels(n_samples, 2)
    t = rng.uniform(0.0, np.pi, n_samples)
    upper = np.column_stack([np.cos(t), np.sin(t)])
    lower = np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)])
    X = np.where((y == 0)[:, None], upper, lower)
    return _finish(X, y, noise, rng)


def spirals(n_samples: int = 300, *, arms: int = 2, turns: float = 1.0, noise: float = 0.05,
            seed: Any = None) -> Dataset:
    """`arms` interleaved spiral arms from the origin, one class each (labels 0..arms-1).

    Arm k at radius r (uniform on [0, 1]) is at angle 2 pi (k / arms + turns * r), so
    neighbouring arms are 1 / (arms * turns) apart along a ray.
    X: (n_samples, 2); y: (n_samples,).
    """
    arms = check_int("arms", "spirals", arms, low=2)
    n_samples, noise, rng = _check("spirals", n_samples, noise, seed, classes=arms)
    turns = _scalar("turns", "spirals", turns)
    y = _labels(n_samples, arms)
    radius = rng.uniform(0.0, 1.0, n_samples)
    angle = 2 * np.pi * (y / arms + turns * radius)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    return _finish(X, y, noise, rng)


def gaussians(n_samples: int = 200, *, noise: float = 0.1, spread: float = 0.4,
              seed: Any = None) -> Dataset:
    """Two round Gaussian clusters: label 0 around (-1, -1), label 1 around (1, 1).

    Each point is its cluster's centre plus N(0, spread^2) in each coordinate,
    then the `noise` every toy set adds. X: (n_samples, 2); y: (n_samples,).
    """
    n_samples, noise, rng = _check("gaussians", n_samples, noise, seed, classes=2)
    spread = _scalar("spread", "gaussians", spread, low_open=False)
    y = _labels(n_samples, 2)
    X = np.where((y == 0)[:, None], -1.0, 1.0) + spread * rng.standard_normal((n_samples, 2))
    return _finish(X, y, noise, rng)


def _check(owner: str, n_samples: Any, noise: Any, seed: Any,
           *, classes: int) -> tuple[int, float, np.random.Generator]:
    n_samples = check_int("n_samples", owner, n_samples, low=classes)
    noise = _scalar("noise", owner, noise, low_open=False)
    return n_samples, noise, make_rng(seed, owner)


def _scalar(name: str, owner: str, value: Any, **limits: Any) -> float:
    """check_number, without the per-model arrays it allows for hyperparameters."""
    if np.ndim(value) != 0:
        raise invalid(name, owner, "a single float", value)
    return check_number(name, owner, value, **limits)


def _labels(n_samples: int, groups: int) -> np.ndarray:
    """0, 1, ..., groups-1 repeated: group sizes differ by at most one. (n_samples,)"""
    return np.arange(n_samples) % groups


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator) -> Dataset:
    """Add the noise (drawn whatever its size, so the draws stay aligned) and shuffle."""
    X = X + noise * rng.standard_normal(X.shape)
    order = rng.permutation(len(y))
    return Dataset(X[order], y[order].astype(np.int64))
