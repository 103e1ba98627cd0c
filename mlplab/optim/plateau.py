"""A learning rate that drops when a monitored value stops improving (torch's ReduceLROnPlateau).

The other schedules are functions of the step count; this one changes only
when it is told a new value of what it watches (a validation loss, say):
``rate.observe(value)``, typically once per epoch from a callback. Between
observations it is an ordinary schedule, ``rate(step)`` the current rate, so
it goes in as the ``alpha`` of any optimizer:

    rate = reduce_lr_on_plateau(0.1, patience=2)
    optimizer = sgd(rate, momentum=0.9)

    class ObservePlateau(Callback):  # mlplab.callbacks.Callback
        def on_epoch_end(self, state):
            rate.observe(<the epoch's validation loss>)
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import check_choice, check_int, check_number, invalid
from mlplab.optim._hyperparameters import check_nonnegative, check_positive
from mlplab.optim.registry import SCHEDULES
from mlplab.optim.schedules import ScheduleBase


class Watch(NamedTuple):
    """One model's plateau bookkeeping, in Python floats (torch's attribute names)."""

    rate: float
    best: float
    num_bad_epochs: int
    cooldown_counter: int


def improved(value: float, best: float, mode: str, threshold: float, threshold_mode: str
             ) -> bool:
    """Whether `value` beats `best` by more than the threshold (torch's ``_is_better``)."""
    if mode == "min":
        return value < (best * (1.0 - threshold) if threshold_mode == "rel" else best - threshold)
    return value > (best * (threshold + 1.0) if threshold_mode == "rel" else best + threshold)


def plateau_step(watch: Watch, value: float, *, mode: str, factor: float, patience: int,
                 threshold: float, threshold_mode: str, cooldown: int, min_lr: float,
                 eps: float) -> Watch:
    """One observation of ReduceLROnPlateau.step(value) for one model.

    A value that improves on the best resets the count of bad epochs; during
    cooldown bad epochs are not counted; more than `patience` bad epochs in a
    row multiply the rate by `factor` (not below min_lr, and not by less than
    eps) and start the cooldown.
    """
    rate, best, bad, cooling = watch
    if improved(value, best, mode, threshold, threshold_mode):
        best, bad = value, 0
    else:
        bad += 1
    if cooling > 0:
        cooling, bad = cooling - 1, 0
    if bad > patience:
        new_rate = max(rate * factor, min_lr)
        if rate - new_rate > eps:
            rate = new_rate
        cooling, bad = cooldown, 0
    return Watch(rate, best, bad, cooling)


class ReduceLROnPlateau(ScheduleBase):
    """rate(step) = the current rate, which `observe(value)` lowers after a plateau."""

    name = "reduce_lr_on_plateau"
    parameters = ("init", "factor", "patience", "threshold", "mode", "cooldown", "min_lr",
                  "threshold_mode", "eps")

    def __init__(self, init: Any, *, factor: Any = 0.1, patience: int = 10,
                 threshold: Any = 1e-4, mode: str = "min", cooldown: int = 0, min_lr: Any = 0.0,
                 threshold_mode: str = "rel", eps: float = 1e-8) -> None:
        owner = "reduce_lr_on_plateau"
        self.init = check_positive("init", owner, init)
        self.factor = check_positive("factor", owner, factor)
        if np.any(np.asarray(self.factor) >= 1.0):
            raise invalid("factor", owner, "a float or array of floats in the range (0, 1)",
                          factor)
        self.patience = check_int("patience", owner, patience, low=0)
        self.threshold = check_nonnegative("threshold", owner, threshold)
        self.mode = check_choice("mode", owner, mode, ("min", "max"))
        self.cooldown = check_int("cooldown", owner, cooldown, low=0)
        self.min_lr = check_nonnegative("min_lr", owner, min_lr)
        self.threshold_mode = check_choice("threshold_mode", owner, threshold_mode,
                                           ("rel", "abs"))
        self.eps = check_number("eps", owner, eps, low=0.0, low_open=False)
        self.shape = np.broadcast_shapes(*(np.shape(v) for v in (self.init, self.factor,
                                                                 self.threshold, self.min_lr)))
        self.reset()

    def reset(self) -> None:
        """Back to the start: the rate init, nothing observed."""
        worst = math.inf if self.mode == "min" else -math.inf
        inits = np.broadcast_to(np.asarray(self.init, dtype=float), self.shape).ravel().tolist()
        self.watches = [Watch(rate, worst, 0, 0) for rate in inits]

    def __call__(self, step: int) -> Any:
        rates = [w.rate for w in self.watches]
        return rates[0] if self.shape == () else np.array(rates).reshape(self.shape)

    def observe(self, value: Any) -> Any:
        """Take the monitored value (a float, or one per model) and return the new rate."""
        values = np.asarray(value, dtype=float) if not isinstance(value, str) else None
        if values is None or values.shape not in {(), self.shape}:
            raise invalid("value", "reduce_lr_on_plateau.observe", "a float or an array of "
                          f"shape {self.shape} (one per model)", value)
        values = np.broadcast_to(values, self.shape).ravel().tolist()
        options = [np.broadcast_to(np.asarray(getattr(self, name), dtype=float),
                                   self.shape).ravel().tolist()
                   for name in ("factor", "threshold", "min_lr")]
        self.watches = [
            plateau_step(w, v, mode=self.mode, factor=f, patience=self.patience, threshold=t,
                         threshold_mode=self.threshold_mode, cooldown=self.cooldown,
                         min_lr=m, eps=self.eps)
            for w, v, f, t, m in zip(self.watches, values, *options, strict=True)]
        return self(0)

    def get_state(self) -> dict[str, Any]:
        """Where the rule stands, as plain data (``best`` may be inf before any observation)."""
        return {field: [getattr(w, field) for w in self.watches] for field in Watch._fields}

    def set_state(self, state: dict[str, Any]) -> None:
        """Continue from `get_state()`'s data."""
        columns = [state[field] for field in Watch._fields]
        if any(len(c) != len(self.watches) for c in columns):
            raise invalid("state", "reduce_lr_on_plateau.set_state",
                          f"{len(self.watches)} entries per field (one per model)", state)
        self.watches = [Watch(float(r), float(b), int(n), int(c))
                        for r, b, n, c in zip(*columns, strict=True)]


def reduce_lr_on_plateau(init: Any, *, factor: Any = 0.1, patience: int = 10,
                         threshold: Any = 1e-4, mode: str = "min", cooldown: int = 0,
                         min_lr: Any = 0.0, threshold_mode: str = "rel", eps: float = 1e-8
                         ) -> ReduceLROnPlateau:
    """A rate that `observe(value)` multiplies by `factor` after `patience` bad observations.

    torch.optim.lr_scheduler.ReduceLROnPlateau's rule, one `observe` per its
    ``step(metrics)``: an observation is good when it beats the best so far,
    value < best * (1 - threshold) in mode "min" (> best * (1 + threshold) in
    "max"; best -+ threshold with threshold_mode="abs"); after more than
    `patience` bad ones in a row the rate becomes max(rate * factor, min_lr)
    (unchanged if that moves it by eps or less), and the next `cooldown`
    observations count as neither. init, factor in (0, 1), threshold and
    min_lr may be one value per model; `observe` then takes one value per model
    and each model follows its own plateau. `get_config()` gives the
    arguments, `get_state()` / `set_state()` where the rule stands.
    """
    return ReduceLROnPlateau(init, factor=factor, patience=patience, threshold=threshold,
                             mode=mode, cooldown=cooldown, min_lr=min_lr,
                             threshold_mode=threshold_mode, eps=eps)


SCHEDULES.add("reduce_lr_on_plateau", reduce_lr_on_plateau)
