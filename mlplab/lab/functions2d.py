"""Two-dimensional test functions for racing optimizers, each with its analytic gradient.

The well-known optimizer animations run SGD, momentum, AdaGrad, Adam and the
rest from one starting point on a surface of two variables, where every step
can be drawn. `FUNCTIONS` holds those surfaces by name; each knows its value,
its gradient, a default start, a plotting window and its known minimum:

- ``beale``: Beale's function, flat plateaus and steep walls; minimum 0 at (3, 0.5).
- ``rosenbrock``: the banana valley, f = (1 - x)^2 + 100 (y - x^2)^2; minimum 0 at (1, 1).
- ``saddle``: f = x^2 - y^2, a saddle point at (0, 0) and no minimum at all.
- ``valley``: a long narrow valley, f = (x^2 + 50 y^2) / 2 (condition number 50);
  minimum 0 at (0, 0).
- ``tutorial``: the tutorials' 3-4-1 sigmoid network on XOR (delta rule), its
  loss over two weights with every other weight held at its trained value;
  the gradient comes from the network's own backward pass.

A point is ``(x, y)``; `value` takes points of any shape ``(..., 2)`` (a
contour grid at once) and `gradient` one point ``(2,)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.registry import Registry

Window = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class Function2D:
    """A function of two variables with its gradient, where to start and where to look.

    value_fn: points (..., 2) -> values (...); gradient_fn: point (2,) -> (2,).
    start: the default starting point; window: ((x_min, x_max), (y_min, y_max))
    for contour plots; minimum: the known minimizer (None: unbounded below);
    log_contours: contour levels spaced by decades (values spanning many).
    """

    name: str
    title: str
    value_fn: Callable[[np.ndarray], np.ndarray]
    gradient_fn: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    window: Window
    minimum: tuple[float, float] | None
    log_contours: bool = False
    note: str = field(default="", compare=False)
    axis_labels: tuple[str, str] = ("x", "y")

    def value(self, points: Any) -> np.ndarray:
        """f at `points` (..., 2) -> (...)."""
        return self.value_fn(np.asarray(points, dtype=float))

    def gradient(self, point: Any) -> np.ndarray:
        """(df/dx, df/dy) at one point (2,) -> (2,)."""
        return np.asarray(self.gradient_fn(np.asarray(point, dtype=float)), dtype=float)

    def grid(self, n: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (n,), ys (n,) across the window, and f on their grid.

        values: (n, n), ``values[j, i]`` at (xs[i], ys[j]), as contour plots want them.
        """
        (x0, x1), (y0, y1) = self.window
        xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
        xx, yy = np.meshgrid(xs, ys)
        return xs, ys, self.value(np.stack([xx, yy], axis=-1))


FUNCTIONS = Registry("test function")


def _beale(p: np.ndarray) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
            + (2.625 - x + x * y**3) ** 2)


def _beale_gradient(p: np.ndarray) -> np.ndarray:
    """Each term r_k^2 (r_k = c_k - x + x y^k) adds 2 r_k (y^k - 1) to df/dx

    and 2 r_k k x y^(k-1) to df/dy.
    """
    x, y = p[..., 0], p[..., 1]
    gx = gy = 0.0
    for k, c in ((1, 1.5), (2, 2.25), (3, 2.625)):
        r = c - x + x * y**k
        gx = gx + 2 * r * (y**k - 1)
        gy = gy + 2 * r * k * x * y ** (k - 1)
    return np.stack([gx, gy], axis=-1)


def _rosenbrock(p: np.ndarray) -> np.ndarray:
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_gradient(p: np.ndarray) -> np.ndarray:
    """df/dx = -2 (1 - x) - 400 x (y - x^2);  df/dy = 200 (y - x^2)."""
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)], axis=-1)


def _saddle(p: np.ndarray) -> np.ndarray:
    return p[..., 0] ** 2 - p[..., 1] ** 2


def _saddle_gradient(p: np.ndarray) -> np.ndarray:
    """(2x, -2y): the slope pushes x towards 0 and y away from it."""
    return np.stack([2 * p[..., 0], -2 * p[..., 1]], axis=-1)


VALLEY_STEEPNESS = 50.0  # the ratio of the two curvatures: the valley's condition number


def _valley(p: np.ndarray) -> np.ndarray:
    return 0.5 * (p[..., 0] ** 2 + VALLEY_STEEPNESS * p[..., 1] ** 2)


def _valley_gradient(p: np.ndarray) -> np.ndarray:
    """(x, 50 y): steep across the valley, shallow along it."""
    return np.stack([p[..., 0], VALLEY_STEEPNESS * p[..., 1]], axis=-1)


FUNCTIONS.add("beale", Function2D(
    "beale", "Beale's function", _beale, _beale_gradient, start=(0.7, 1.4),
    window=((-4.5, 4.5), (-4.5, 4.5)), minimum=(3.0, 0.5), log_contours=True,
    note="plateaus and steep walls; minimum 0 at (3, 0.5)"))
FUNCTIONS.add("rosenbrock", Function2D(
    "rosenbrock", "Rosenbrock's valley", _rosenbrock, _rosenbrock_gradient, start=(-1.5, 2.0),
    window=((-2.0, 2.0), (-1.0, 3.0)), minimum=(1.0, 1.0), log_contours=True,
    note="a curved, flat-bottomed valley; minimum 0 at (1, 1)"))
FUNCTIONS.add("saddle", Function2D(
    "saddle", "saddle x² - y²", _saddle, _saddle_gradient, start=(-1.9, 0.001),
    window=((-2.0, 2.0), (-2.0, 2.0)), minimum=None,
    note="a saddle point at (0, 0): who escapes along y, and how fast"))
FUNCTIONS.add("valley", Function2D(
    "valley", "long narrow valley (x² + 50 y²) / 2", _valley, _valley_gradient,
    start=(-9.0, 1.5), window=((-10.0, 10.0), (-2.5, 2.5)), minimum=(0.0, 0.0),
    log_contours=True,
    note="ill-conditioned quadratic, curvature 1 along x and 50 across; minimum 0 at (0, 0)"))


# -- the tutorial network's own error surface ---------------------------------------------

TUTORIAL_WEIGHTS = ((0, "W", 0, 0), (2, "W", 1, 0))  # as `mlplab surface` draws by default
TUTORIAL_TRAINING = {"hidden": 4, "alpha": 10.0, "iterations": 10000}
TUTORIAL_RADIUS = 8.0  # the window: the trained values +- this


class _TutorialSurface:
    """The loss of the trained tutorial network over two of its weights, the rest held.

    Trained once (XOR, 3-4-1 sigmoid, no bias, tutorial weights, delta rule,
    alpha 10, 10000 full-batch iterations). Values come from
    `mlplab.surface.losses_at`; gradients from a private copy of the network
    whose two weights are set to the point, through the model's backward pass.
    """

    def __init__(self) -> None:
        from mlplab.data import tutorial_xy
        from mlplab.lab.tutorials import tutorial_network
        from mlplab.losses import get_loss
        from mlplab.objective import Objective
        from mlplab.optim import sgd
        from mlplab.surface import weight_ref
        from mlplab.train import fit

        self.X, self.y = tutorial_xy([0, 1, 1, 0])
        self.net = tutorial_network(TUTORIAL_TRAINING["hidden"])
        fit(self.net, self.X, self.y, loss="delta", optimizer=sgd(TUTORIAL_TRAINING["alpha"]),
            iterations=TUTORIAL_TRAINING["iterations"])
        self.refs = [weight_ref(self.net, w) for w in TUTORIAL_WEIGHTS]
        self.center = np.array([self.net.params[r.param][r.index] for r in self.refs])
        self.probe = tutorial_network(TUTORIAL_TRAINING["hidden"])  # its weights get overwritten
        for target, source in zip(self.probe.params, self.net.params, strict=True):
            target[...] = source
        self.objective = Objective(self.probe, get_loss("delta"), self.X, self.y)
        self.lock = threading.Lock()  # one probe network: a server's threads take turns

    def value(self, points: np.ndarray) -> np.ndarray:
        from mlplab.surface import losses_at

        flat = points.reshape(-1, 2)
        return losses_at(self.net, self.X, self.y, self.refs, flat, loss="delta"
                         ).reshape(points.shape[:-1])

    def gradient(self, point: np.ndarray) -> np.ndarray:
        params = self.probe.params
        with self.lock, np.errstate(over="ignore"):  # the sigmoid's exp overflows harmlessly
            for ref, value in zip(self.refs, point, strict=True):
                params[ref.param][ref.index] = value
            _, grads = self.objective.value_and_grads()
            return np.array([grads[r.param][r.index] for r in self.refs])


@cache
def tutorial_surface() -> _TutorialSurface:
    """The trained tutorial network's surface (trained on first use, then kept)."""
    return _TutorialSurface()


def _tutorial_function() -> Function2D:
    surface = tutorial_surface()
    (cx, cy), r = surface.center, TUTORIAL_RADIUS
    labels = " and ".join(ref.label for ref in surface.refs)
    return Function2D(
        "tutorial", f"tutorial XOR network over {labels}", surface.value, surface.gradient,
        start=(round(cx - 6.0, 3), round(cy - 6.0, 3)),
        window=((cx - r, cx + r), (cy - r, cy + r)), minimum=(float(cx), float(cy)),
        log_contours=True,
        note="the trained weights mark the minimum; elsewhere the sigmoids saturate into "
             "plateaus", axis_labels=(surface.refs[0].label, surface.refs[1].label))


FUNCTIONS.add("tutorial", _tutorial_function)  # built (and trained) when first asked for


def get_function(function: str | Function2D, *, owner: str = "race") -> Function2D:
    """A test function from its name (or a ready `Function2D`)."""
    if isinstance(function, Function2D):
        return function
    if not isinstance(function, str):
        raise invalid("function", owner, "a name among " + ", ".join(FUNCTIONS.names())
                      + " or a Function2D", function)
    entry = FUNCTIONS.lookup(function, owner=owner, parameter="function")
    return entry() if callable(entry) else entry
