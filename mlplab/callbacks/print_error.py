"""PrintError: the tutorials' "Error after N iterations" lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int
from mlplab.callbacks.base import Callback
from mlplab.metrics import Metric, get_metric

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class PrintError(Callback):
    """Print and record an error metric every `every` iterations, the tutorials' way.

    The error is measured on the step's batch outputs before that step's
    update (with full batch: the training error). `template` receives
    ``iteration`` and ``error``; for a population, ``error`` is the array of
    per-model values. Pass ``print_fn=None`` to record only. Records:
    ``iterations`` and ``errors`` (one per-model value or array each).
    """

    def __init__(self, every: int = 10000, *, metric: str | Metric = "mae",
                 template: str = "Error after {iteration} iterations:{error}",
                 print_fn: Callable[[str], Any] | None = print) -> None:
        self.every = check_int("every", "PrintError", every, low=1)
        self.metric = get_metric(metric, owner="PrintError")
        self.template, self.print_fn = template, print_fn
        self.iterations: list[int] = []
        self.errors: list[Any] = []

    def on_step_end(self, state: TrainingState) -> None:
        if state.iteration % self.every:
            return
        error = self.metric(state.outputs, state.y_batch)
        error = float(error) if np.ndim(error) == 0 else error
        self.iterations.append(state.iteration)
        self.errors.append(error)
        if self.print_fn is not None:
            self.print_fn(self.template.format(iteration=state.iteration, error=error))
