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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked slow unless --runslow is given or -m names the marker."""
    if config.getoption("--runslow") or "slow" in config.getoption("markexpr", ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
