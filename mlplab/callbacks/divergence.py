"""DivergenceGuard: stop on a NaN or infinite loss without losing the model."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import all_finite, check_int
from mlplab.callbacks.base import Callback
from mlplab.callbacks.config import copy_array, to_numpy

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

    Any array namespace: the check reads one boolean per step on the host, so
    on a GPU each step waits for its loss. The guard keeps no state between
    runs: a resumed run starts it afresh, and its first snapshot is the
    restored (finite) weights.
    """

    def __init__(self, snapshot_every: int = 100) -> None:
        self.snapshot_every = check_int("snapshot_every", "DivergenceGuard", snapshot_every,
                                        low=1)

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "snapshot_every": self.snapshot_every}

    def on_train_begin(self, state: TrainingState) -> None:
        backend = state.params.backend
        self._is_numpy, self._xp = backend.is_numpy, backend.xp
        self._buffers = state.model.buffers
        self._snapshot = [copy_array(self._xp, a) for a in (*state.params, *self._buffers)]
        self._snapshot_iteration = state.iteration

    def on_before_update(self, state: TrainingState) -> None:
        loss = state.loss
        if loss.ndim == 0:  # float() of a 0-d array is the standard's, on every namespace
            finite = math.isfinite(loss)
        elif self._is_numpy:
            finite = np.isfinite(loss).all()
        else:
            finite = bool(self._xp.all(self._xp.isfinite(loss)))
        if finite:
            if state.iteration % self.snapshot_every == 0:
                self._take_snapshot(state)
            return
        self._recover(state)

    def _recover(self, state: TrainingState) -> None:
        """Put back finite weights and buffers, then raise `DivergenceError`."""
        kept = "the weights from before that step were kept"
        if not self._all_finite(state.params):
            _copy_into(state.params, self._snapshot[:len(state.params)])
            kept = (f"an earlier update had already overflowed, so the weights from "
                    f"iteration {self._snapshot_iteration} were restored")
        if not self._all_finite(self._buffers):  # the failing forward spoilt running statistics
            _copy_into(self._buffers, self._snapshot[len(state.params):])
        raise self._error(state, kept)

    def _take_snapshot(self, state: TrainingState) -> None:
        arrays = [*state.params, *self._buffers]
        if self._all_finite(arrays):
            _copy_into(self._snapshot, arrays)
            self._snapshot_iteration = state.iteration

    def _all_finite(self, arrays: list[Any]) -> bool:
        """Whether every entry of every array is finite (one host read on other namespaces)."""
        if self._is_numpy:
            return all(all_finite(a) for a in arrays)
        if not arrays:
            return True
        xp = self._xp
        return bool(xp.all(xp.stack([xp.all(xp.isfinite(a)) for a in arrays])))

    @staticmethod
    def _error(state: TrainingState, kept: str) -> DivergenceError:
        loss = np.asarray(to_numpy(state.loss))
        models = np.flatnonzero(~np.isfinite(loss)).tolist() if loss.ndim else []
        first_bad = np.ravel(loss)[np.flatnonzero(~np.isfinite(np.ravel(loss)))[0]]
        who = f" for models {models} of the population" if loss.ndim else ""
        message = (f"Training diverged: the loss became {first_bad}{who} at iteration "
                   f"{state.iteration} (epoch {state.epoch}); {kept}. Try a smaller alpha "
                   "(learning rate), or scale the inputs and targets.")
        return DivergenceError(message, iteration=state.iteration, epoch=state.epoch,
                               models=models)


def _copy_into(targets: list[Any], sources: list[Any]) -> None:
    """Copy each source into the target beside it, in place."""
    for target, source in zip(targets, sources, strict=True):
        target[...] = source
