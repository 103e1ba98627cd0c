"""EarlyStopping: stop when a monitored value stops improving, keeping the best weights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_choice, check_int, check_number, invalid
from mlplab.callbacks.base import Resumable
from mlplab.callbacks.config import (
    arrays_from_state,
    arrays_state,
    check_like,
    copy_array,
    copy_members,
    plain,
)

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "EarlyStopping"


class EarlyStopping(Resumable):
    """Stop training once `monitor` has not improved for `patience` epochs.

    monitor: a History name, e.g. "val_loss" (needs validation data) or "loss".
    mode: "min", "max", or "auto" (max for names containing "accuracy").
    min_delta: the least change that counts as an improvement.
    restore_best_weights: at the end, put back the weights of the best epoch.

    Populations are watched per model: each member's best epoch and weights
    are its own, and training stops when every member has run out of patience.
    Afterwards ``best_epoch`` and ``best`` hold the best epoch and value (per
    model, NumPy), and ``stopped_epoch`` the epoch training stopped at (or
    None). The decision is taken on the host (one read of the monitored value
    per epoch); the best weights stay in the model's namespace.
    State (`get_state`): best, best_epoch, wait, stopped_epoch and the best
    weights and buffers, so a resumed run stops exactly when an unbroken one would.
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 10,
                 min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = True) -> None:
        if not isinstance(monitor, str):
            raise invalid("monitor", OWNER, "a History name such as 'val_loss'", monitor)
        self.monitor = monitor
        self.patience = check_int("patience", OWNER, patience, low=0)
        self.min_delta = check_number("min_delta", OWNER, min_delta, low=0.0, low_open=False)
        self.mode = check_choice("mode", OWNER, mode, ("auto", "min", "max"))
        self.sign = -1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else 1.0
        self.restore_best_weights = bool(restore_best_weights)

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "monitor": self.monitor, "patience": self.patience,
                "min_delta": plain("min_delta", OWNER, self.min_delta), "mode": self.mode,
                "restore_best_weights": self.restore_best_weights}

    @property
    def best(self) -> np.ndarray:
        """The best value of `monitor` so far, per model."""
        return self.sign * self._best

    def on_train_begin(self, state: TrainingState) -> None:
        population = state.params.population
        self._backend = state.params.backend
        self._best = np.full(population, np.inf)  # signed: smaller is better
        self.best_epoch = np.zeros(population, dtype=np.int64)
        self.wait = np.zeros(population, dtype=np.int64)
        self.best_weights = [copy_array(self._backend.xp, p) for p in state.params]
        self.best_buffers = [copy_array(self._backend.xp, b) for b in state.model.buffers]
        self.stopped_epoch: int | None = None
        self._started()

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.monitor not in state.history:
            raise invalid("monitor", OWNER, "a value the History records, one of "
                          f"{sorted(state.history.history)}", self.monitor)
        value = self.sign * np.asarray(state.history.last(self.monitor), dtype=float)
        improved = value < self._best - self.min_delta
        self._best = np.where(improved, value, self._best)
        self.best_epoch = np.where(improved, state.epoch, self.best_epoch)
        self.wait = np.where(improved, 0, self.wait + 1)
        self._keep(improved, [*state.params, *state.model.buffers])
        if np.all((self.wait >= self.patience) & (self.wait > 0)):
            state.stop_training = True
            self.stopped_epoch = state.epoch

    def _keep(self, improved: np.ndarray, current: list[Any]) -> None:
        """Copy the improved members' arrays into the best ones."""
        copy_members(self._backend, np.asarray(improved), [*self.best_weights,
                                                            *self.best_buffers], current)

    def on_train_end(self, state: TrainingState) -> None:
        self._running = False
        if self.restore_best_weights:
            for array, best in zip((*state.params, *state.model.buffers),
                                   (*self.best_weights, *self.best_buffers), strict=True):
                array[...] = best

    def _state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"best": self.best, "best_epoch": self.best_epoch.copy(),
                                 "wait": self.wait.copy()}
        if self.stopped_epoch is not None:
            state["stopped_epoch"] = self.stopped_epoch
        state.update(arrays_state("best_weights", self.best_weights))
        state.update(arrays_state("best_buffers", self.best_buffers))
        return state

    def _load_state(self, state: dict[str, Any]) -> None:
        owner = f"{OWNER}.set_state"
        weights = arrays_from_state("best_weights", state, self._backend)
        buffers = arrays_from_state("best_buffers", state, self._backend)
        check_like(owner, "best_weights", weights, self.best_weights)
        check_like(owner, "best_buffers", buffers, self.best_buffers)
        shape = self._best.shape
        self._best = self.sign * _per_model(state, "best", shape, float, owner)
        self.best_epoch = _per_model(state, "best_epoch", shape, np.int64, owner)
        self.wait = _per_model(state, "wait", shape, np.int64, owner)
        stopped = state.get("stopped_epoch")
        self.stopped_epoch = None if stopped is None else int(stopped)
        self.best_weights, self.best_buffers = weights, buffers


def _per_model(state: dict[str, Any], key: str, shape: tuple[int, ...], dtype: Any,
               owner: str) -> np.ndarray:
    """state[key] as a NumPy array of `shape` (one value per model)."""
    if key not in state:
        raise invalid("state", owner, f"a dict with {key!r} (from get_state)", sorted(state))
    value = np.array(state[key], dtype=dtype)
    if value.shape != shape:
        raise invalid("state", owner, f"{key!r} of shape {shape}", f"shape {value.shape}",
                      raw=True)
    return value

