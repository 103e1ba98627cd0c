"""The tutorials' error-surface experiment: train, record two weights' path, map the loss.

Trains the tutorial network (3 -> hidden -> 1 sigmoid, no bias, tutorial
weights, delta rule, full-batch gradient descent) while recording two chosen
weights, then computes the loss over a grid of those two weights with every
other weight held at its final value, and the 1-D slice of the first weight
(the "ball in a bucket").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from mlplab.callbacks.weight_path import WeightPath
from mlplab.data import tutorial_xy
from mlplab.lab.tutorials import tutorial_network
from mlplab.optim import sgd
from mlplab.surface import ErrorSurface, error_slice, error_surface
from mlplab.train import fit

DEFAULT_WEIGHTS = ((0, "W", 0, 0), (2, "W", 1, 0))


class Landscape(NamedTuple):
    """The surface over two weights and the slice along the first, both with the path."""

    surface: ErrorSurface
    slice: ErrorSurface
    iterations: list[int]


def tutorial_landscape(*, weights: Sequence[Any] = DEFAULT_WEIGHTS, hidden: int = 4,
                       alpha: float = 10.0, iterations: int = 60000,
                       targets: Sequence[float] = (0, 1, 1, 0), grid: int = 61,
                       every: int = 100) -> Landscape:
    """Train the tutorial network and map the loss around the two `weights` it ends at."""
    X, y = tutorial_xy(list(targets))
    net = tutorial_network(hidden)
    path = WeightPath(weights, every=every)
    fit(net, X, y, loss="delta", optimizer=sgd(alpha), iterations=iterations, callbacks=[path])
    surface = error_surface(net, X, y, weights, n=grid, path=path.values, loss="delta")
    line = error_slice(net, X, y, weights[0], n=4 * grid, path=path.values[:, :1],
                       loss="delta")
    return Landscape(surface, line, path.iterations)
