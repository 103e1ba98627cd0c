"""Random restarts: one configuration from many random starting states, as one population.

The tutorials' "multiple random starting states": train the same network
from N seeds at once and keep the best. `restarts` is a sweep over seeds
alone, so the N runs share one population (or one fused loop) and each gives
exactly the numbers of its separate run. Like `sweep`, it takes ``n_jobs``
(None, the default: an active ``joblib.parallel_config`` decides) and
``executor=`` (a `concurrent.futures.Executor` or Dask Client), which get the
population as a whole, or halved only until every worker has a part.

    >>> from mlplab.lab import restarts
    >>> result = restarts(10, alpha=10, iterations=5000)
    >>> print(result.summary())
    >>> net = result.best_model  # the winning seed's trained network
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.lab.results import SweepResult
from mlplab.lab.sweep import sweep
from mlplab.model import MLP


@dataclass
class RestartResult:
    """N restarts of one configuration: their errors, the best one, and the spread.

    seeds: (N,); checkpoints: the iterations recorded; errors: (n_checkpoints,
    N), the error of each seed at each checkpoint (for curves with mean and
    spread); final_errors, final_losses: (N,) of the trained networks;
    best_index / best_seed: the best final error (the lowest, or the highest
    for accuracy; diverged runs excluded);
    best_model: that seed's trained network; table: the sweep's tidy rows.
    """

    seeds: list[int]
    checkpoints: list[int]
    errors: np.ndarray
    final_errors: np.ndarray
    final_losses: np.ndarray
    best_index: int
    best_model: MLP
    table: SweepResult

    @property
    def best_seed(self) -> int:
        return self.seeds[self.best_index]

    @property
    def best_error(self) -> float:
        return float(self.final_errors[self.best_index])

    @property
    def diverged(self) -> int:
        """How many restarts ended with a non-finite error."""
        return int(np.sum(~np.isfinite(self.final_errors)))

    @property
    def mean(self) -> float:
        """Mean final error over the restarts that did not diverge."""
        return float(np.mean(self._finite()))

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof 1) of the finite final errors; 0 for one restart."""
        finite = self._finite()
        return float(np.std(finite, ddof=1)) if finite.size > 1 else 0.0

    def _finite(self) -> np.ndarray:
        return self.final_errors[np.isfinite(self.final_errors)]

    def summary(self) -> str:
        """One line: best of N, mean +- std, range, and any diverged runs."""
        finite = self._finite()
        text = (f"best of {len(self.seeds)}: {self.best_error:.6g} (seed {self.best_seed}); "
                f"mean {self.mean:.6g} +- {self.std:.3g} (std); "
                f"range {finite.min():.6g} .. {finite.max():.6g}")
        return text + (f"; {self.diverged} diverged" if self.diverged else "")


def restarts(seeds: int | Sequence[int] = 10, *, X: Any = None, y: Any = None,
             engine: str = "auto", n_jobs: int | None = None, executor: Any = None,
             **config: Any) -> RestartResult:
    """Train one configuration from each seed, as one population, and pick the best.

    seeds: N (seeds 0 .. N-1) or a list of seeds. X, y: the data (default the
    tutorials' XOR). config: one value each for `sweep`'s axes (alpha,
    hidden, activation, ..., iterations) and its settings (every, metric, ...);
    the defaults are the tutorials' network with alpha 1. n_jobs, executor:
    where the seeds train, as in `sweep` (the result is the same anywhere).
    """
    seeds = _seed_list(seeds)
    if "seed" in config:
        raise invalid("seed", "restarts", "left out (pass the seeds as 'seeds')", config["seed"])
    for name, value in config.items():
        if isinstance(value, list | range | np.ndarray) or (
                isinstance(value, tuple) and name != "hidden"):
            raise invalid(name, "restarts", "a single value (restarts vary only the seed)",
                          value)
    config.setdefault("alpha", 1.0)
    if "hidden" in config and isinstance(config["hidden"], tuple):
        config["hidden"] = [config["hidden"]]  # one multi-layer configuration, not a grid
    table = sweep(X, y, seed=seeds, engine=engine, keep_weights=True, n_jobs=n_jobs,
                  executor=executor, **config)
    final = table.final().rows
    errors = np.array([[row["error"] for row in table.filter(config=i, final=False)]
                       for i in range(len(seeds))]).T
    final_errors = np.array([row["error"] for row in final])
    if not np.isfinite(final_errors).any():
        raise ValueError(f"Every one of the {len(seeds)} restarts diverged; try a smaller "
                         "alpha (learning rate).")
    best = table.best()["config"]  # the lowest error (the highest for accuracy)
    checkpoints = [row["iteration"] for row in table.filter(config=0, final=False)]
    return RestartResult(seeds, checkpoints, errors.reshape(len(checkpoints), len(seeds)),
                         final_errors, np.array([row["loss_value"] for row in final]), best,
                         table.model(final[best]), table)


def _seed_list(seeds: Any) -> list[int]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        return list(range(check_int("seeds", "restarts", seeds, low=1)))
    if not isinstance(seeds, list | tuple | range | np.ndarray) or len(seeds) == 0:
        raise invalid("seeds", "restarts", "a number of restarts >= 1 or a non-empty list of "
                      "seeds", seeds)
    seeds = [check_int("seeds", "restarts", s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise invalid("seeds", "restarts", "distinct seeds", seeds)
    return seeds

