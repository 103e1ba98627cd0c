"""PrintError: the tutorials' "Error after N iterations" lines."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.callbacks.base import Callback, config_arguments
from mlplab.callbacks.config import plain, to_numpy
from mlplab.metrics import METRICS, Metric, get_metric

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "PrintError"


class PrintError(Callback):
    """Print and record an error metric every `every` iterations, the tutorials' way.

    The error is measured on the step's batch outputs before that step's
    update (with full batch: the training error). `template` receives
    ``iteration`` and ``error``; for a population, ``error`` is the array of
    per-model values. Pass ``print_fn=None`` to record only. Records:
    ``iterations`` and ``errors`` (one per-model value or NumPy array each).
    The metric runs in the model's namespace; only what is printed and
    recorded comes to NumPy. A config holds the metric's name and writes
    ``print_fn`` as "print" or None; other functions cannot be written down.
    """

    def __init__(self, every: int = 10000, *, metric: str | Metric = "mae",
                 template: str = "Error after {iteration} iterations:{error}",
                 print_fn: Callable[[str], Any] | None = print) -> None:
        self.every = check_int("every", OWNER, every, low=1)
        self.metric = get_metric(metric, owner=OWNER)
        self.template, self.print_fn = template, print_fn
        self.iterations: list[int] = []
        self.errors: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        metric = METRICS.name_of(self.metric, owner=OWNER, parameter="metric")
        if self.print_fn not in (print, None):
            raise invalid("print_fn", OWNER, "print or None to be written into a config",
                          self.print_fn)
        return {"type": type(self).__name__, "every": self.every, "metric": metric,
                "template": plain("template", OWNER, self.template),
                "print_fn": None if self.print_fn is None else "print"}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PrintError:
        arguments = config_arguments(cls, config)
        if arguments.get("print_fn", "print") not in ("print", None):
            raise invalid("print_fn", f"{OWNER}.from_config", "'print' or None",
                          arguments["print_fn"])
        arguments["print_fn"] = print if arguments.get("print_fn", "print") else None
        return cls(**arguments)

    def on_step_end(self, state: TrainingState) -> None:
        if state.iteration % self.every:
            return
        error = np.asarray(to_numpy(self.metric(state.outputs, state.y_batch)))
        error = float(error) if error.ndim == 0 else error
        self.iterations.append(state.iteration)
        self.errors.append(error)
        if self.print_fn is not None:
            self.print_fn(self.template.format(iteration=state.iteration, error=error))
