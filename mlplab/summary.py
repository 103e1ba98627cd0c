"""A model's summary: a text table of its layers, shapes and parameter counts.

``print(model.summary())`` shows, for a 4-8-3 MLP::

    MLP: 4 inputs -> 3 outputs; one model; float64 on numpy
      #  layer       output shape  parameters  options
      0  Dense       (n, 8)                40  4 -> 8, bias
      1  Activation  (n, 8)                 0  relu
      2  Dense       (n, 3)                27  8 -> 3, bias
      3  Activation  (n, 3)                 0  softmax
    parameters: 67; buffers (not trained): 0

A Dense layer n_in -> n_out holds n_in * n_out weights and n_out biases. For
a population of K models every count is per model, the shapes carry the
population axis, (K, n, ...), and the last line gives the total over all K.
"""

from __future__ import annotations

import math
from typing import Any

# Config keys the table shows elsewhere (the type is the layer column; sizes are shapes).
_SHOWN_ELSEWHERE = ("type", "n_in", "n_out", "n_features", "name")


def summary(model: Any) -> str:
    """The summary table of `model` (a `Sequential` or `MLP`) as one string."""
    population = model.population
    members = math.prod(population)
    rows, width = [], model.n_inputs
    for i, layer in enumerate(model.layers):
        width = layer.output_size(width)
        count = sum(math.prod(p.shape) for p in layer.params) // members
        shape = ", ".join(str(d) for d in (*population, "n", width))
        rows.append((str(i), type(layer).__name__, f"({shape})", str(count), _options(layer)))
    header = ("#", "layer", "output shape", "parameters", "options")
    table = _columns([header, *rows], right=(0, 3))
    per_model = sum(int(r[3]) for r in rows)
    buffers = sum(math.prod(b.shape) for b in model.buffers) // members
    models = ("one model" if not population
              else f"a population of {members} models, shape {population}")
    each = f" per model ({per_model * members:,} in all)" if population else ""
    lines = [f"{type(model).__name__}: {_plural(model.n_inputs, 'input')} -> "
             f"{_plural(model.n_outputs, 'output')}; {models}; {model.dtype} on "
             f"{_where(model.backend)}", *table,
             f"parameters: {per_model:,}{each}; buffers (not trained): {buffers:,}"]
    return "\n".join(lines)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _where(backend: Any) -> str:
    """The backend's name, and its device when it names one."""
    return backend.name if backend.device is None else f"{backend.name} ({backend.device})"


def _options(layer: Any) -> str:
    """What a layer is set to: sizes and bias for weights, the function for activations,
    and the rest of its config (a rate, batch norm's momentum)."""
    config = layer.get_config()
    parts = []
    if "n_in" in config:
        parts.append(f"{config['n_in']} -> {config['n_out']}")
    if config.get("bias") is True:
        parts.append("bias")
    if "name" in config:
        parts.append(str(config["name"]))
    parts += [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in config.items()
              if k not in _SHOWN_ELSEWHERE and k != "bias"]
    if config.get("bias") is False:
        parts.append("no bias")
    return ", ".join(parts)


def _columns(rows: list[tuple[str, ...]], right: tuple[int, ...]) -> list[str]:
    """Rows of cells as aligned text lines, the columns in `right` aligned to the right."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    return ["  " + "  ".join(cell.rjust(w) if j in right else cell.ljust(w)
                             for j, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
            for row in rows]
