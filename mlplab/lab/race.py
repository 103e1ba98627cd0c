"""Optimizers racing: the same start, the same surface, each optimizer's own steps.

`race` runs gradient-transformation optimizers (sgd, momentum, nesterov,
adagrad, adadelta, rmsprop, adam, ...) from one starting point on a 2-D test
function (`mlplab.lab.functions2d`), with the library's own update code:
each step is ``updates, state = optimizer.update([grad], state, params)``
then ``params += updates``, exactly as `fit` does. It records every point
and value, and stops a path that diverges (a point, value or gradient that
is not finite, or a point `ESCAPE` window widths outside the window).

    >>> result = race("valley", ["sgd", "momentum", "adagrad", "adam"], steps=150)
    >>> print(result.summary())
    >>> result.to_json()   # plain data, NaN-free, for the browser

`race_on_data` is ConvNet.js's trainer comparison: several optimizers train
the same network (the same initial weights) on the same mini-batches, as one
population whose model k steps with optimizer k (`mlplab.optim.by_member`);
loss and accuracy per epoch per optimizer.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.lab.functions2d import Function2D, Window, get_function
from mlplab.optim import OPTIMIZERS, GradientTransformation, apply_updates, get_optimizer
from mlplab.params import ParamList

DEFAULT_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")
DEFAULT_STEPS = 200
ESCAPE = 100.0  # window widths outside the window at which a path counts as gone to infinity

# Learning rates per function, chosen so that the default race shows each optimizer's
# character within DEFAULT_STEPS steps rather than its best tuning: plain sgd at a rate just
# stable across the steep direction (so it crawls along the flat one), momentum and nesterov
# at that same rate (so the velocity overshoots and swings back), adagrad large enough to
# start fast and visibly slow down as its sum of squares grows, rmsprop and adam at a rate
# whose step length ~alpha they keep whatever the slope (steady steps). adadelta has no
# learning rate in Zeiler's form (1.0); its steps grow from sqrt(eps), so it starts slow.
# An optimizer missing from a row takes its own default (the factory's alpha).
LEARNING_RATES: dict[str, dict[str, float]] = {
    "beale": {"sgd": 0.005, "momentum": 0.005, "nesterov": 0.005, "adagrad": 0.5,
              "adadelta": 1.0, "rmsprop": 0.02, "adam": 0.05},
    "rosenbrock": {"sgd": 0.001, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.5,
                   "adadelta": 1.0, "rmsprop": 0.02, "adam": 0.05},
    "saddle": {"sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.2,
               "adadelta": 1.0, "rmsprop": 0.01, "adam": 0.02},
    "valley": {"sgd": 0.03, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5,
               "adadelta": 1.0, "rmsprop": 0.03, "adam": 0.1},
    "tutorial": {"sgd": 20.0, "momentum": 5.0, "nesterov": 5.0, "adagrad": 2.0,
                 "adadelta": 1.0, "rmsprop": 0.05, "adam": 0.1},
}


@dataclass
class RaceResult:
    """Where each optimizer went.

    labels: (n,) one name per optimizer; learning_rates: (n,) each one's
    learning rate (None when it came as a ready transformation);
    paths: (n, steps + 1, 2) the points, row 0 the start, NaN after a path
    stopped; values: (n, steps + 1) f at those points, NaN likewise;
    diverged_at: (n,) the step at which a path stopped (its point, value or
    gradient not finite, or gone `ESCAPE` window widths away), or None.
    function, title, window, minimum: the test function's (minimum None: none).
    """

    function: str
    title: str
    labels: list[str]
    learning_rates: list[float | None]
    start: np.ndarray
    paths: np.ndarray
    values: np.ndarray
    diverged_at: list[int | None]
    window: Window
    minimum: tuple[float, float] | None

    @property
    def steps(self) -> int:
        return self.paths.shape[1] - 1

    def final(self) -> list[tuple[np.ndarray, float]]:
        """Each path's last finite point and its value."""
        ends = []
        for path, values, stop in zip(self.paths, self.values, self.diverged_at, strict=True):
            last = self.steps if stop is None else stop - 1
            ends.append((path[last], float(values[last])))
        return ends

    def summary(self) -> str:
        """A table: optimizer, learning rate, final point and value, or where it diverged."""
        lines = [f"{self.title}: {self.steps} steps from ({self.start[0]:g}, {self.start[1]:g})",
                 f"{'optimizer':<12} {'alpha':>8}  {'final point':>22}  final value"]
        for label, rate, (point, value), stop in zip(self.labels, self.learning_rates,
                                                     self.final(), self.diverged_at, strict=True):
            shown = "-" if rate is None else f"{rate:g}"
            where = f"({point[0]:.4g}, {point[1]:.4g})"
            end = f"{value:.6g}" + ("" if stop is None else f"  (diverged at step {stop})")
            lines.append(f"{label:<12} {shown:>8}  {where:>22}  {end}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON: each path only up to where it stopped, so no NaN appears."""
        racers = []
        for i, label in enumerate(self.labels):
            stop = self.diverged_at[i]
            n = self.steps + 1 if stop is None else stop
            racers.append({"label": label, "learning_rate": self.learning_rates[i],
                           "path": self.paths[i, :n].tolist(),
                           "values": self.values[i, :n].tolist(), "diverged_at": stop})
        return {"function": self.function, "title": self.title, "steps": self.steps,
                "start": self.start.tolist(), "window": [list(w) for w in self.window],
                "minimum": None if self.minimum is None else list(self.minimum),
                "racers": racers}


def race(function: str | Function2D = "valley",
         optimizers: Sequence[str | GradientTransformation] = DEFAULT_OPTIMIZERS, *,
         start: Sequence[float] | None = None, steps: int = DEFAULT_STEPS,
         learning_rates: float | Mapping[str, float] | None = None) -> RaceResult:
    """Run each optimizer from `start` on `function` for `steps` steps; see the module docstring.

    function: a name in `mlplab.lab.functions2d.FUNCTIONS` or a `Function2D`.
    optimizers: names from `mlplab.optim.OPTIMIZERS` that take a learning rate,
    or ready gradient transformations. start: (x, y), default the function's.
    learning_rates: None (the `LEARNING_RATES` table, else each optimizer's
    default), one rate for every named optimizer, or a dict name -> rate
    (names left out take the table's).
    """
    f = get_function(function)
    steps = check_int("steps", "race", steps, low=1)
    start = _start(start, f)
    labels, transforms, rates = _racers(optimizers, f.name, learning_rates)
    paths = np.full((len(transforms), steps + 1, 2), np.nan)
    values = np.full((len(transforms), steps + 1), np.nan)
    stops = []
    for i, transform in enumerate(transforms):
        stops.append(_run(f, transform, start, paths[i], values[i]))
    return RaceResult(f.name, f.title, labels, rates, start, paths, values, stops, f.window,
                      f.minimum)


def _run(f: Function2D, transform: GradientTransformation, start: np.ndarray,
         path: np.ndarray, values: np.ndarray) -> int | None:
    """Fill `path` (steps + 1, 2) and `values` in place; the step it diverged at, or None."""
    params = ParamList([start.copy()])
    state = transform.init(params)
    path[0], values[0] = start, f.value(start)
    (x0, x1), (y0, y1) = f.window
    center, far = np.array([x0 + x1, y0 + y1]) / 2, ESCAPE * max(x1 - x0, y1 - y0)
    with np.errstate(all="ignore"):  # a diverging path is the finding, reported by its stop
        for t in range(1, len(path)):
            grad = f.gradient(params[0])
            if not np.all(np.isfinite(grad)):
                return t
            updates, state = transform.update([grad], state, params)
            apply_updates(params, updates)
            point, value = params[0], f.value(params[0])
            if not (np.all(np.isfinite(point)) and np.isfinite(value)) or np.max(
                    np.abs(point - center)) > far:
                return t
            path[t], values[t] = point, value
    return None


def _start(start: Any, f: Function2D) -> np.ndarray:
    if start is None:
        return np.array(f.start, dtype=float)
    point = np.asarray(start, dtype=float) if _numbers(start) else None
    if point is None or point.shape != (2,) or not np.all(np.isfinite(point)):
        raise invalid("start", "race", "two finite numbers (x, y)", start)
    return point


def _numbers(value: Any) -> bool:
    try:
        np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    return True


def gradient_optimizers() -> list[str]:
    """The optimizer names a race takes: every one with a learning rate (no solvers)."""
    return OPTIMIZERS.names(kind="transformation")


def default_learning_rate(function: str, name: str) -> float:
    """The table's rate for `name` on `function`, else the optimizer's own default alpha."""
    table = LEARNING_RATES.get(function, {})
    if name in table:
        return table[name]
    argument = OPTIMIZERS.fact(name, "learning_rate")
    return float(inspect.signature(OPTIMIZERS[name]).parameters[argument].default)


def _racers(optimizers: Any, function: str, learning_rates: Any
            ) -> tuple[list[str], list[GradientTransformation], list[float | None]]:
    """Labels, transformations and learning rates of the racers, each checked."""
    if isinstance(optimizers, str | GradientTransformation) or not isinstance(
            optimizers, Sequence) or not optimizers:
        raise invalid("optimizers", "race", "a non-empty list of optimizer names or gradient "
                      "transformations", optimizers)
    rates = _rate_table(learning_rates, optimizers)
    labels, transforms, used = [], [], []
    for i, spec in enumerate(optimizers):
        if isinstance(spec, GradientTransformation):
            label = (spec.config or {}).get("name", f"optimizer {i}")
            labels.append(_unique(label, labels))
            transforms.append(spec)
            used.append(_alpha_of(spec))
            continue
        name = _gradient_name(spec)
        rate = rates.get(name, default_learning_rate(function, name))
        argument = OPTIMIZERS.fact(name, "learning_rate")
        transforms.append(get_optimizer(name, owner="race", **{argument: rate}))
        labels.append(_unique(name, labels))
        used.append(float(rate))
    return labels, transforms, used


def _gradient_name(spec: Any, owner: str = "race") -> str:
    name = OPTIMIZERS.canonical(spec, owner=owner, parameter="optimizers")
    if OPTIMIZERS.fact(name, "kind") != "transformation":
        raise invalid("optimizers", owner, "gradient-step optimizers, each one of "
                      + ", ".join(gradient_optimizers()), f"{spec!r} (a full-batch solver, "
                      "which runs its own search rather than one step at a time)", raw=True)
    return name


def _rate_table(learning_rates: Any, optimizers: Sequence[Any]) -> dict[str, float]:
    """learning_rates as name -> rate for the named optimizers ({} for the defaults)."""
    if learning_rates is None:
        return {}
    if isinstance(learning_rates, Mapping):
        table = {}
        for name, rate in learning_rates.items():
            canonical = OPTIMIZERS.canonical(name, owner="race", parameter="learning_rates")
            table[canonical] = float(check_number("learning_rates", "race", rate))
        return table
    rate = float(check_number("learning_rates", "race", learning_rates))
    return {OPTIMIZERS.canonical(o, owner="race", parameter="optimizers"): rate
            for o in optimizers if isinstance(o, str)}


def _alpha_of(transform: GradientTransformation) -> float | None:
    alpha = (transform.config or {}).get("alpha")
    return float(alpha) if isinstance(alpha, int | float) else None


def _unique(label: str, taken: list[str]) -> str:
    """`label`, or "label (2)", "label (3)" ... when it is taken already."""
    k, candidate = 2, label
    while candidate in taken:
        candidate, k = f"{label} ({k})", k + 1
    return candidate


# -- the same network, the same batches: ConvNet.js's trainer comparison ------------------

DATA_OPTIMIZERS = ("sgd", "momentum", "adagrad", "adadelta", "rmsprop", "adam")
# Rates for a small tanh network with mini-batches of 32 on standardized 2-D data: sgd
# fast enough to learn within a few dozen epochs, momentum at a tenth of that (its velocity
# sums about ten gradients, so the same effective step), the adaptive ones at their usual
# scale. Optimizers missing here take their own default alpha.
DATA_LEARNING_RATES = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.1,
                       "adadelta": 1.0, "rmsprop": 0.003, "adam": 0.01}


@dataclass
class DataRace:
    """Optimizers that trained the same network from the same weights on the same batches.

    labels, learning_rates: (n,) per optimizer; loss, accuracy: (epochs, n) the
    training loss (softmax cross-entropy) and accuracy per epoch, NaN after a
    run diverged; diverged_at: (n,) the first epoch (1-based) whose loss was
    not finite, or None; model: the trained population, member k trained by
    optimizer k; data: the data set's name.
    """

    data: str
    labels: list[str]
    learning_rates: list[float]
    loss: np.ndarray
    accuracy: np.ndarray
    diverged_at: list[int | None]
    model: Any

    def summary(self) -> str:
        """A table: optimizer, learning rate, final loss and accuracy."""
        lines = [f"{self.data}: {self.loss.shape[0]} epochs, the same network, start and "
                 "batches for every optimizer",
                 f"{'optimizer':<12} {'alpha':>8}  {'final loss':>12}  final accuracy"]
        for i, label in enumerate(self.labels):
            if self.diverged_at[i] is not None:
                end = f"{'diverged':>12}  (at epoch {self.diverged_at[i]})"
            else:
                end = f"{self.loss[-1, i]:>12.5g}  {self.accuracy[-1, i]:.4f}"
            lines.append(f"{label:<12} {self.learning_rates[i]:>8g}  {end}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """Plain data for JSON: each curve up to where its run diverged (no NaN)."""
        curves = []
        for i, label in enumerate(self.labels):
            n = len(self.loss) if self.diverged_at[i] is None else self.diverged_at[i] - 1
            curves.append({"label": label, "learning_rate": self.learning_rates[i],
                           "loss": self.loss[:n, i].tolist(),
                           "accuracy": self.accuracy[:n, i].tolist(),
                           "diverged_at": self.diverged_at[i]})
        return {"data": self.data, "epochs": len(self.loss), "curves": curves}


def race_on_data(data: Any = "moons", optimizers: Sequence[str] = DATA_OPTIMIZERS, *,
                 layers: Sequence[int] = (16, 16), epochs: int = 30, batch_size: int = 32,
                 seed: int = 0, activation: str = "tanh",
                 learning_rates: float | Mapping[str, float] | None = None) -> DataRace:
    """Train one copy of a classifier per optimizer, as one population, and compare them.

    data: a built-in data set name (loaded with `seed`) or (X, y) with integer
    class labels y; the inputs are standardized. Every copy starts from the
    same weights (``seed``) and sees the same mini-batches (one `fit` of a
    population shuffles once for all); copy k steps with optimizer k
    (`mlplab.optim.by_member`), so each curve is the one a separate run with
    that optimizer would give. layers: the hidden sizes; the output is a
    softmax over the classes, trained with softmax cross-entropy.
    learning_rates: as for `race`, the defaults from `DATA_LEARNING_RATES`.
    """
    from mlplab.model import MLP
    from mlplab.optim import by_member
    from mlplab.train import fit

    name, X, y = _classification_data(data, seed)
    epochs = check_int("epochs", "race_on_data", epochs, low=1)
    batch_size = check_int("batch_size", "race_on_data", batch_size, low=1)
    seed = check_int("seed", "race_on_data", seed)
    labels, transforms, rates = _data_racers(optimizers, learning_rates)
    k = len(transforms)
    sizes = [X.shape[1], *layers, int(y.max()) + 1]
    model = MLP(sizes, activation=activation, output_activation="softmax", seed=[seed] * k)
    # A diverging run is reported by its curve (diverged_at), not by a trail of warnings.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        history = fit(model, X, y, loss="softmax_crossentropy", optimizer=by_member(transforms),
                      epochs=epochs, batch_size=batch_size, seed=seed, metrics=["accuracy"],
                      guard=False)
    loss, accuracy = history["loss"].reshape(-1, k), history["accuracy"].reshape(-1, k)
    diverged = [_first_bad(loss[:, i]) for i in range(k)]
    for i, stop in enumerate(diverged):
        if stop is not None:
            loss[stop - 1:, i] = accuracy[stop - 1:, i] = np.nan
    return DataRace(name, labels, rates, loss, accuracy, diverged, model)


def _classification_data(data: Any, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """The data's name, standardized inputs and integer labels 0..n_classes-1."""
    from mlplab.data import Standardizer, load

    if isinstance(data, str):
        name, (X, y) = data, load(data, seed=seed) if _takes_seed(data) else load(data)
    elif isinstance(data, tuple | list) and len(data) == 2:
        name, (X, y) = "data", data
    else:
        raise invalid("data", "race_on_data", "a data set name or a pair (X, y)", data)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iub" or len(y) != len(X) or (
            y.size and (y.min() < 0 or len(np.unique(y)) < 2)):
        raise invalid("data", "race_on_data", "classification data: integer class labels "
                      "0, 1, ... (at least two classes), one per row of X",
                      f"labels of dtype {y.dtype} and shape {y.shape}", raw=True)
    return name, Standardizer().fit(X).transform(X), y.astype(int)


def _takes_seed(name: str) -> bool:
    from mlplab.data import DATASETS

    loader = DATASETS.get(name.replace("-", "_"))
    return loader is not None and "seed" in inspect.signature(loader).parameters


def _data_racers(optimizers: Any, learning_rates: Any
                 ) -> tuple[list[str], list[GradientTransformation], list[float]]:
    if isinstance(optimizers, str) or not isinstance(optimizers, Sequence) or not optimizers:
        raise invalid("optimizers", "race_on_data", "a non-empty list of optimizer names",
                      optimizers)
    table = _rate_table(learning_rates, optimizers)
    labels, transforms, rates = [], [], []
    for spec in optimizers:
        if not isinstance(spec, str):
            raise invalid("optimizers", "race_on_data", "optimizer names such as 'adam'", spec)
        name = _gradient_name(spec, "race_on_data")
        rate = table.get(name, DATA_LEARNING_RATES.get(name))
        if rate is None:
            rate = default_learning_rate("", name)
        transforms.append(get_optimizer(name, owner="race_on_data",
                                        **{OPTIMIZERS.fact(name, "learning_rate"): rate}))
        labels.append(_unique(name, labels))
        rates.append(float(rate))
    return labels, transforms, rates


def _first_bad(losses: np.ndarray) -> int | None:
    """The first epoch (1-based) whose loss is not finite, or None."""
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) + 1 if bad.size else None
