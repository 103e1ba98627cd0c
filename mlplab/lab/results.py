"""SweepResult: a sweep's tidy table, one row per configuration and checkpoint.

Each row is a plain dict: the configuration's columns (alpha, hidden, seed,
...), its position ``config`` in the sweep, the ``iteration``, the ``error``
(the sweep's metric, by default the tutorials' mean |output - y|), the
``loss_value`` (of the configuration's ``loss``) and ``final``. Checkpoint
rows (final False) are measured as the tutorials print them: on the step's
outputs before that step's update. The final row of a configuration (final
True, iteration = its iterations) is the trained model evaluated on the data.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import check_choice, invalid
from mlplab.io.atomic import write_atomically
from mlplab.lab.grid import Config
from mlplab.model import MLP

MEASURES = ("iteration", "error", "loss_value", "final")
HIGHER_IS_BETTER = ("accuracy",)  # metrics whose best value is the largest


@dataclass
class SweepResult:
    """Rows of a sweep, the configuration columns that describe them, and the metric's name."""

    rows: list[dict[str, Any]]
    config_columns: tuple[str, ...]
    metric: str = "mae"
    weights: dict[int, list[np.ndarray]] | None = None  # per config, with keep_weights
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.columns = ("config", *self.config_columns, *MEASURES)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def filter(self, predicate: Callable[[dict[str, Any]], bool] | None = None,
               **equal: Any) -> SweepResult:
        """The rows whose columns equal the given values and for which `predicate(row)` holds.

        ``filter(alpha=10, final=True)``, ``filter(lambda row: row["error"] < 0.1)``.
        """
        for name in equal:
            check_choice("column", "SweepResult.filter", name, self.columns)
        rows = [row for row in self.rows
                if all(_same(row[name], value) for name, value in equal.items())
                and (predicate is None or predicate(row))]
        return SweepResult(rows, self.config_columns, self.metric, self.weights)

    def final(self) -> SweepResult:
        """One row per configuration: its trained model's error and loss."""
        return self.filter(final=True)

    def best(self, by: str = "error", *, maximize: bool | None = None) -> dict[str, Any]:
        """The final row with the lowest `by` ("error" or "loss_value"); NaN never wins.

        maximize: pick the highest instead; by default only for an "accuracy" error.
        """
        by = check_choice("by", "SweepResult.best", by, ("error", "loss_value"))
        if maximize is None:
            maximize = by == "error" and self.metric in HIGHER_IS_BETTER
        finite = [row for row in self.final() if math.isfinite(row[by])]
        if not finite:
            raise ValueError(f"No configuration of this sweep has a finite final {by}: "
                             "every run diverged.")
        return (max if maximize else min)(finite, key=lambda row: row[by])

    def model(self, row: dict[str, Any]) -> MLP:
        """The trained network of a row's configuration (``result.model(result.best())``).

        Needs ``sweep(..., keep_weights=True)``.
        """
        if self.weights is None or row.get("config") not in self.weights:
            raise invalid("row", "SweepResult.model", "a row of a sweep run with "
                          "keep_weights=True", "a row without kept weights", raw=True)
        weights = self.weights[row["config"]]
        config = Config.from_row(row)
        net = config.network(weights[0].shape[0], weights[-1].shape[-1], config.seed)
        net.set_weights(weights)
        return net

    def pivot(self, index: str, columns: str, value: str = "error",
              reduce: Callable[[np.ndarray], float] = np.mean
              ) -> tuple[list[Any], list[Any], np.ndarray]:
        """Final `value` as a grid: (index values, column values, array (n_index, n_columns)).

        Runs that share a cell (several seeds, say) are combined with `reduce`;
        cells with no run are NaN. ``pivot("hidden", "alpha")`` is the
        tutorials' table of error over hidden size x alpha.
        """
        for name, given in (("index", index), ("columns", columns)):
            check_choice(name, "SweepResult.pivot", given, self.config_columns)
        check_choice("value", "SweepResult.pivot", value, ("error", "loss_value"))
        final = self.final().rows
        rows, cols = _distinct(r[index] for r in final), _distinct(r[columns] for r in final)
        cells: dict[tuple[int, int], list[float]] = {}
        for r in final:
            cells.setdefault((rows.index(r[index]), cols.index(r[columns])), []).append(r[value])
        grid = np.full((len(rows), len(cols)), np.nan)
        for (i, j), values in cells.items():
            grid[i, j] = reduce(np.asarray(values))
        return rows, cols, grid

    def summary(self) -> str:
        """The best configuration, then the final error over hidden size x alpha, as text."""
        best = self.best()
        hidden, alphas, grid = self.pivot("hidden", "alpha")
        lines = [f"{len(self.final().rows)} configurations; best: "
                 + ", ".join(f"{k}={best[k]}" for k in ("alpha", "hidden", "activation", "seed"))
                 + f" with final error {best['error']:.6g}", "",
                 "final error (mean over the other axes), hidden size down, alpha across",
                 f"{'hidden':>8}" + "".join(f"{a:>12g}" for a in alphas)]
        lines += [f"{h!s:>8}" + "".join(f"{v:>12.6g}" for v in row)
                  for h, row in zip(hidden, grid, strict=True)]
        return "\n".join(lines)

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV with a header row, atomically; returns the path."""
        path = Path(path)
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(self.columns)
        writer.writerows([_csv_value(row[c]) for c in self.columns] for row in self.rows)
        write_atomically(path, lambda file: file.write(text.getvalue().encode("utf-8")))
        return path

    @classmethod
    def from_csv(cls, path: str | Path) -> SweepResult:
        """Read a table written by `to_csv` (numbers as numbers, hidden sizes as ints/tuples)."""
        with Path(path).open(newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or header[0] != "config" or tuple(header[-4:]) != MEASURES:
                raise invalid("path", "SweepResult.from_csv", "a CSV file written by "
                              "SweepResult.to_csv", f"header {header}", raw=True)
            rows = [dict(zip(header, map(_parse, values), strict=True)) for values in reader]
        return cls(rows, tuple(header[1:-4]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _distinct(values: Any) -> list[Any]:
    """Values in order of first appearance, sorted when they can be."""
    seen = list(dict.fromkeys(values))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _csv_value(value: Any) -> Any:
    """Hidden sizes (4, 8) as "4-8", None as an empty cell, everything else as is."""
    if isinstance(value, tuple):
        return "-".join(map(str, value))
    return "" if value is None else value


def _parse(text: str) -> Any:
    """A CSV cell back to a number, bool, None or tuple of hidden sizes where it is one."""
    if text in ("True", "False"):
        return text == "True"
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    parts = text.split("-")
    if len(parts) > 1 and all(p.isdigit() for p in parts):
        return tuple(map(int, parts))
    return text
