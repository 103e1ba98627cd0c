"""The race page's data: a query string's settings in, plain JSON-safe data out.

Pure functions, free of any web framework: the playground's server mounts
them (``GET /api/race?function=beale&optimizers=sgd,adam&steps=200`` ->
``race_payload(dict(request.query_params))``, see `mlplab.playground.server`)
and tests call them directly.

- `race_payload(query)`: `mlplab.lab.race.race`'s result (`RaceResult.to_json`)
  plus the contour grid the page draws under the paths, and the choices the
  page offers (functions, optimizers, each one's default learning rate);
- `data_race_payload(query)`: `race_on_data`'s loss and accuracy curves;
- a bad query raises the one-template ValueError naming the parameter, which
  the server answers with 400 and ``{"error": message, "parameter": name}``.

Every number is finite: a path stops where it diverged (``diverged_at``), and
the contour values are finite on every window.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.lab.functions2d import FUNCTIONS, get_function
from mlplab.lab.race import (
    DATA_LEARNING_RATES,
    DATA_OPTIMIZERS,
    DEFAULT_OPTIMIZERS,
    DEFAULT_STEPS,
    default_learning_rate,
    gradient_optimizers,
    race,
    race_on_data,
)
from mlplab.optim import OPTIMIZERS

OWNER = "/api/race"
MAX_STEPS = 2000  # a request must stay cheap: 2000 steps of 13 optimizers take well under 1 s
MAX_GRID = 200
DEFAULT_GRID = 100
MAX_EPOCHS = 200
MAX_UNITS = 256
DATA_SETS = ("moons", "xor", "circles", "spirals", "iris")


def _error(parameter: str, expected: str, given: Any, owner: str = OWNER) -> ValueError:
    """The one-template error; the server answers it with status 400 naming `parameter`."""
    return invalid(parameter, owner, expected, given)


def race_payload(query: Mapping[str, str]) -> dict[str, Any]:
    """The race that `query` asks for, with its contour grid (ValueError for a bad query).

    query keys (all optional): function (default valley), optimizers
    ("sgd,adam", default the classic seven), steps (1..2000, default 200),
    start ("x,y", default the function's), learning_rates ("sgd=0.01,adam=0.1",
    default the table), grid (contour points per axis, 10..200, default 100).
    """
    _known(query, ("function", "optimizers", "steps", "start", "learning_rates", "grid"))
    name = query.get("function", "valley")
    if name not in FUNCTIONS:
        raise _error("function", "one of " + ", ".join(FUNCTIONS.names()), name)
    optimizers = _optimizers(query.get("optimizers"), DEFAULT_OPTIMIZERS)
    steps = _integer(query, "steps", DEFAULT_STEPS, 1, MAX_STEPS)
    grid = _integer(query, "grid", DEFAULT_GRID, 10, MAX_GRID)
    start = _start(query.get("start"))
    rates = _rates(query.get("learning_rates"), optimizers)
    f = get_function(name)
    result = race(f, optimizers, start=start, steps=steps, learning_rates=rates)
    xs, ys, values = f.grid(grid)
    payload = result.to_json()
    payload["axis_labels"] = list(f.axis_labels)
    payload["note"] = f.note
    payload["contours"] = {"xs": xs.tolist(), "ys": ys.tolist(), "log": f.log_contours,
                           "values": _finite(values).tolist()}
    payload["choices"] = choices()
    return payload


def choices() -> dict[str, Any]:
    """What the page offers: functions (name, title, default start) and optimizers with
    their default learning rate on each function."""
    functions = []
    for name in FUNCTIONS.names():
        entry = FUNCTIONS[name]
        ready = not callable(entry)  # the tutorial surface trains a network when first built
        functions.append({"name": name, "title": entry.title if ready else
                          "tutorial XOR network over two weights",
                          "start": list(entry.start) if ready else None})
    rates = {f: {o: default_learning_rate(f, o) for o in gradient_optimizers()}
             for f in FUNCTIONS.names()}
    return {"functions": functions, "optimizers": gradient_optimizers(),
            "default_optimizers": list(DEFAULT_OPTIMIZERS), "learning_rates": rates,
            "data_sets": list(DATA_SETS), "data_optimizers": list(DATA_OPTIMIZERS),
            "data_learning_rates": dict(DATA_LEARNING_RATES), "max_steps": MAX_STEPS}


def data_race_payload(query: Mapping[str, str]) -> dict[str, Any]:
    """The data race that `query` asks for: loss and accuracy per epoch per optimizer.

    query keys (all optional): data (one of `DATA_SETS`, default moons),
    optimizers (default sgd,momentum,adagrad,adadelta,rmsprop,adam), epochs
    (1..200, default 30), layers ("16,16"), batch_size (default 32), seed,
    learning_rates ("sgd=0.1,adam=0.01").
    """
    owner = "/api/race/data"
    _known(query, ("data", "optimizers", "epochs", "layers", "batch_size", "seed",
                   "learning_rates"), owner)
    data = query.get("data", "moons")
    if data not in DATA_SETS:
        raise _error("data", "one of " + ", ".join(DATA_SETS), data, owner)
    optimizers = _optimizers(query.get("optimizers"), DATA_OPTIMIZERS, owner)
    epochs = _integer(query, "epochs", 30, 1, MAX_EPOCHS, owner)
    batch_size = _integer(query, "batch_size", 32, 1, 10_000, owner)
    seed = _integer(query, "seed", 0, 0, 2**31 - 1, owner)
    layers = _layers(query.get("layers"), owner)
    rates = _rates(query.get("learning_rates"), optimizers, owner)
    result = race_on_data(data, optimizers, layers=layers, epochs=epochs,
                          batch_size=batch_size, seed=seed, learning_rates=rates)
    return result.to_json()


def _known(query: Mapping[str, str], keys: tuple[str, ...], owner: str = OWNER) -> None:
    unknown = sorted(set(query) - set(keys))
    if unknown:
        raise _error(unknown[0], "left out: the parameters are " + ", ".join(keys),
                     query[unknown[0]], owner)


def _integer(query: Mapping[str, str], key: str, default: int, low: int, high: int,
             owner: str = OWNER) -> int:
    text = query.get(key)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _error(key, f"an integer from {low} to {high}", text, owner)
    return value


def _optimizers(text: str | None, default: tuple[str, ...], owner: str = OWNER) -> list[str]:
    if text is None:
        return list(default)
    names = [part.strip() for part in text.split(",") if part.strip()]
    allowed = gradient_optimizers()
    bad = [n for n in names if OPTIMIZERS.aliases.get(n, n) not in allowed]
    if not names or bad or len(names) > 2 * len(allowed):
        raise _error("optimizers", "comma-separated names among " + ", ".join(allowed),
                     text, owner)
    return names


def _start(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        x = y = math.nan
    if not (math.isfinite(x) and math.isfinite(y)):
        raise _error("start", "two finite numbers x,y", text)
    return x, y


def _rates(text: str | None, optimizers: list[str], owner: str = OWNER) -> dict[str, float]:
    if not text:
        return {}
    racing = {OPTIMIZERS.aliases.get(o, o) for o in optimizers}
    rates = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = math.nan
        name = OPTIMIZERS.aliases.get(name.strip(), name.strip())
        if name not in racing or not (math.isfinite(rate) and rate > 0):
            raise _error("learning_rates", "name=rate pairs for the racing optimizers with "
                         "rates > 0, e.g. sgd=0.01,adam=0.1", text, owner)
        rates[name] = rate
    return rates


def _layers(text: str | None, owner: str) -> tuple[int, ...]:
    if text is None:
        return (16, 16)
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        sizes = ()
    if not sizes or len(sizes) > 8 or not all(1 <= s <= MAX_UNITS for s in sizes):
        raise _error("layers", f"up to 8 comma-separated layer sizes from 1 to {MAX_UNITS}",
                     text, owner)
    return sizes


def _finite(values: np.ndarray) -> np.ndarray:
    """The grid with any non-finite value (an overflow far out) clipped to the finite range."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros_like(values)
    return np.nan_to_num(values, nan=float(finite.max()), posinf=float(finite.max()),
                         neginf=float(finite.min()))
