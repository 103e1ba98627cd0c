"""What a frame carries, made small and JSON-safe: grids as base64 bytes, numbers finite or null.

A grid of values becomes bytes 0..254 (255 marks a value that is not
finite, which the page paints grey) and is sent as base64 with the range it
was scaled from: a 50 x 50 heatmap is 2500 bytes, about 3.4 kB of text. JSON
has no NaN or Infinity, so every float goes through `number`, which gives
None for them; a diverging run is stopped before its numbers get this far.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

NOT_FINITE = 255


def number(value: Any, digits: int = 6) -> float | None:
    """A finite float rounded to `digits` significant figures, or None."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def numbers(values: Any, digits: int = 4) -> list[Any]:
    """A nested list of `number`s from an array of any shape."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return number(array, digits)  # type: ignore[return-value]
    return [numbers(v, digits) for v in array]


def grid_bytes(values: np.ndarray, low: float, high: float) -> str:
    """values scaled from [low, high] to 0..254, not-finite to 255, as base64 text."""
    values = np.asarray(values, dtype=np.float64)
    span = high - low if high > low else 1.0
    scaled = np.clip((values - low) / span, 0.0, 1.0) * 254
    with np.errstate(invalid="ignore"):
        codes = np.where(np.isfinite(values), np.rint(scaled), NOT_FINITE).astype(np.uint8)
    return base64.b64encode(codes.tobytes()).decode("ascii")


def heatmap(values: np.ndarray, low: float | None = None, high: float | None = None
            ) -> dict[str, Any]:
    """A 2-D grid as {rows, cols, low, high, data}; the range defaults to the finite values'."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if low is None:
        low = float(finite.min()) if finite.size else 0.0
    if high is None:
        high = float(finite.max()) if finite.size else 1.0
    return {"rows": int(values.shape[0]), "cols": int(values.shape[1]), "low": number(low),
            "high": number(high), "data": grid_bytes(values, low, high)}


def grid_points(domain: tuple[float, float, float, float], size: int) -> np.ndarray:
    """size x size points covering the domain, row by row from the top. -> (size * size, 2)"""
    x = np.linspace(domain[0], domain[1], size)
    y = np.linspace(domain[3], domain[2], size)  # the first row is the top of the picture
    gx, gy = np.meshgrid(x, y)
    return np.column_stack([gx.ravel(), gy.ravel()])


def activation_range(name: str, values: np.ndarray) -> tuple[float, float]:
    """The range a neuron's map is coloured over: the activation's own where it has one."""
    if name in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if name == "tanh":
        return -1.0, 1.0
    finite = values[np.isfinite(values)]
    bound = float(np.abs(finite).max()) if finite.size else 1.0
    return (-bound, bound) if name in ("linear", "leaky_relu") else (0.0, max(bound, 1e-12))


def neuron_side(n_neurons: int, size: int, budget: int = 40_000) -> int:
    """The stride that keeps all neuron maps together under `budget` bytes a frame."""
    side = max(6, min(size, int(math.sqrt(budget / max(n_neurons, 1)))))
    return max(1, math.ceil(size / side))
