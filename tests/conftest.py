"""Shared test helpers: a central finite difference to check every backward against."""

from collections.abc import Callable

import numpy as np
import pytest


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """d f / d x by (f(x + eps) - f(x - eps)) / 2 eps, one entry at a time, in float64.

    `x` is perturbed in place and restored; `f` must return a scalar.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = float(f(x))
        x[index] = saved - eps
        minus = float(f(x))
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.fixture
def numeric_gradient() -> Callable[..., np.ndarray]:
    """The central finite difference `central_difference(f, x, eps=1e-6)`."""
    return central_difference
