"""DivergenceGuard: stop on a NaN or infinite loss without losing the model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import all_finite, check_int
from mlplab.callbacks.base import Callback

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class DivergenceError(FloatingPointError):
    """Training stopped on a NaN or infinite loss.

    Attributes: ``iteration``, ``epoch``, ``models`` (population indices that
    diverged, empty for a single model) and ``history`` (up to the last
    finite epoch).
    """

    def __init__(self, message: str, *, iteration: int, epoch: int,
                 models: list[int]) -> None:
        super().__init__(message)
        self.iteration, self.epoch, self.models = iteration, epoch, models
        self.history: Any = None


class DivergenceGuard(Callback):
    """Stop on a NaN or infinite loss, keeping the weights of the last finite step.

    The loss is checked every step before that step's update is applied, so
    the failing step never touches the weights: the model keeps what the last
    finite step produced, and `DivergenceError` is raised naming the iteration
    and epoch. Should an earlier update have overflowed while its loss was
    still finite (the weights are then no longer finite), the guard restores
    its latest finite snapshot, taken every `snapshot_every` steps, and says
    which iteration that was. Running statistics (BatchNorm's buffers) that
    the failing step's forward pass left non-finite come back from that
    snapshot too. On by default in `fit`.
    """

    def __init__(self, snapshot_every: int = 100) -> None:
        self.snapshot_every = check_int("snapshot_every", "DivergenceGuard", snapshot_every,
                                        low=1)

    def on_train_begin(self, state: TrainingState) -> None:
        self._buffers = state.model.buffers
        self._snapshot = [a.copy() for a in (*state.params, *self._buffers)]
        self._snapshot_iteration = state.iteration

    def on_before_update(self, state: TrainingState) -> None:
        loss = state.loss
        if math.isfinite(loss) if loss.ndim == 0 else np.isfinite(loss).all():
            if state.iteration % self.snapshot_every == 0:
                self._take_snapshot(state)
            return
        kept = "the weights from before that step were kept"
        if not _all_finite(state.params):
            _restore(state.params, self._snapshot[:len(state.params)])
            kept = (f"an earlier update had already overflowed, so the weights from "
                    f"iteration {self._snapshot_iteration} were restored")
        if not _all_finite(self._buffers):  # the failing forward pass spoilt running statistics
            _restore(self._buffers, self._snapshot[len(state.params):])
        raise self._error(state, kept)

    def _take_snapshot(self, state: TrainingState) -> None:
        arrays = [*state.params, *self._buffers]
        if _all_finite(arrays):
            for saved, a in zip(self._snapshot, arrays, strict=True):
                np.copyto(saved, a)
            self._snapshot_iteration = state.iteration

    @staticmethod
    def _error(state: TrainingState, kept: str) -> DivergenceError:
        loss = np.asarray(state.loss)
        models = np.flatnonzero(~np.isfinite(loss)).tolist() if loss.ndim else []
        first_bad = np.ravel(loss)[np.flatnonzero(~np.isfinite(np.ravel(loss)))[0]]
        who = f" for models {models} of the population" if loss.ndim else ""
        message = (f"Training diverged: the loss became {first_bad}{who} at iteration "
                   f"{state.iteration} (epoch {state.epoch}); {kept}. Try a smaller alpha "
                   "(learning rate), or scale the inputs and targets.")
        return DivergenceError(message, iteration=state.iteration, epoch=state.epoch,
                               models=models)


def _restore(arrays: list[np.ndarray], saved: list[np.ndarray]) -> None:
    for a, s in zip(arrays, saved, strict=True):
        np.copyto(a, s)


def _all_finite(arrays: list[np.ndarray]) -> bool:
    """Whether every entry of every array is finite."""
    return all(all_finite(a) for a in arrays)
