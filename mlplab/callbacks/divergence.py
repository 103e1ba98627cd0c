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


# What a gradient run that diverged should try; {rate} names the learning rate.
LEARNING_RATE_ADVICE = "Try a smaller {rate}, or scale the inputs and targets."


class DivergenceError(FloatingPointError):
    """Training stopped on a NaN or infinite loss.

    Attributes: ``iteration``, ``epoch``, ``models`` (population indices that
    diverged, empty for a single model), ``weights_iteration`` (the iteration
    the kept weights start: the weights of a run stopped after that many
    iterations), ``history`` (up to the last finite epoch), and the message's
    parts: ``diagnosis`` (what happened) and ``advice`` (what to try), so a
    front end can give the advice in its own words (the command line names its
    learning-rate flag).
    """

    def __init__(self, message: str, *, iteration: int, epoch: int,
                 models: list[int], weights_iteration: int | None = None,
                 advice: str = "") -> None:
        super().__init__(f"{message} {advice}" if advice else message)
        self.diagnosis, self.advice = message, advice
        self.iteration, self.epoch, self.models = iteration, epoch, models
        self.weights_iteration = iteration if weights_iteration is None else weights_iteration
        self.history: Any = None


class DivergenceGuard(Callback):
    """Stop on a NaN or infinite loss, keeping the model as the last finite step left it.

    The loss is checked every step before that step's update is applied, so
    the failing step never touches the weights: the model keeps what the last
    finite step produced, and `DivergenceError` is raised naming the iteration
    and epoch. Running statistics (BatchNorm's buffers) go back with the
    weights: the failing step's forward pass has already moved them, to values
    that may be finite yet spoilt by that batch, so the guard keeps a copy.

    Weights can overflow before the loss does: an update that makes a weight
    infinite while its own loss was finite shows only in the next step's loss.
    The guard therefore also keeps the weights from before the latest update
    (one copy per step, the price of exactness) and, when the loss fails on
    weights that are no longer finite, puts those back: the last finite step.
    Only when the weights had gone non-finite more than one step before the
    loss did (a saturated activation can hide an infinite weight) does it fall
    back to its latest finite snapshot, taken every `snapshot_every` steps, and
    say which iteration that was; ``snapshot_every=1`` makes that the last
    finite step too, at the cost of a finiteness check every step. On by
    default in `fit`.

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
        self._params, self._buffers = state.params, state.model.buffers
        # The weights the latest finite step started from, the running statistics that go with
        # them, and those that go with the current weights (swapped, not copied, each step).
        self._before = [copy_array(self._xp, a) for a in self._params]
        self._pairs, self._as_bytes = _copy_pairs(self._before, self._params, self._is_numpy)
        self._buffers_before = [copy_array(self._xp, b) for b in self._buffers]
        self._buffers_now = [copy_array(self._xp, b) for b in self._buffers]
        self._snapshot = [copy_array(self._xp, a) for a in (*self._params, *self._buffers)]
        self._snapshot_iteration = state.iteration

    def on_before_update(self, state: TrainingState) -> None:
        loss = state.loss
        if loss.ndim == 0:  # float() of a 0-d array is the standard's, on every namespace
            finite = math.isfinite(loss)
        elif self._is_numpy:
            finite = np.isfinite(loss).all()
        else:
            finite = bool(self._xp.all(self._xp.isfinite(loss)))
        if not finite:
            self._recover(state)
        if self._as_bytes:  # the weights this update starts from
            for before, now in self._pairs:
                before[:] = now
        else:
            for before, now in self._pairs:
                before[...] = now
        if self._buffers:  # this step's forward pass has moved them: keep both sides
            self._buffers_before, self._buffers_now = self._buffers_now, self._buffers_before
            _copy_into(self._buffers_now, self._buffers)
        if state.iteration % self.snapshot_every == 0:
            self._take_snapshot(state)

    def on_train_end(self, state: TrainingState) -> None:
        self._pairs = []  # let go of the views of the weights

    def _recover(self, state: TrainingState) -> None:
        """Put back the last finite step's weights and buffers, then raise `DivergenceError`."""
        self._pairs = []
        kept, at = "the weights from before that step were kept", state.iteration
        buffers = self._buffers_now
        if not self._all_finite(self._params):
            if self._all_finite(self._before):
                _copy_into(self._params, self._before)
                buffers, at = self._buffers_before, state.iteration - 1
                kept = (f"the update of iteration {at} had already overflowed the weights, so "
                        f"the weights from before it (iteration {at}) were restored")
            else:
                _copy_into(self._params, self._snapshot[:len(self._params)])
                buffers, at = self._snapshot[len(self._params):], self._snapshot_iteration
                kept = (f"an earlier update had already overflowed, so the weights from "
                        f"iteration {at} were restored")
        _copy_into(self._buffers, buffers)  # the failing forward pass moved the statistics
        raise self._error(state, kept, at)

    def _take_snapshot(self, state: TrainingState) -> None:
        """The weights this step starts from and their running statistics, if all finite."""
        arrays = [*self._before, *self._buffers_before]
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
    def _error(state: TrainingState, kept: str, weights_iteration: int) -> DivergenceError:
        loss = np.asarray(to_numpy(state.loss))
        models = np.flatnonzero(~np.isfinite(loss)).tolist() if loss.ndim else []
        first_bad = np.ravel(loss)[np.flatnonzero(~np.isfinite(np.ravel(loss)))[0]]
        who = f" for models {models} of the population" if loss.ndim else ""
        message = (f"Training diverged: the loss became {first_bad}{who} at iteration "
                   f"{state.iteration} (epoch {state.epoch}); {kept}.")
        return DivergenceError(message, iteration=state.iteration, epoch=state.epoch,
                               models=models, weights_iteration=weights_iteration,
                               advice=LEARNING_RATE_ADVICE.format(rate="alpha (learning rate)"))


def _copy_pairs(targets: list[Any], sources: list[Any], is_numpy: bool
                ) -> tuple[list[tuple[Any, Any]], bool]:
    """(target, source) pairs for a copy every step, and whether they are bytes.

    NumPy arrays that are C-contiguous pair as byte views: assigning one
    memoryview to another is a plain memcpy, a fraction of the cost of
    ndarray.__setitem__ on a tutorial's tiny weights (bench/tutorial_speed.py).
    Others pair as arrays, copied with ``target[...] = source``.
    """
    if is_numpy and all(a.flags.c_contiguous for a in (*targets, *sources)):
        return [(memoryview(t).cast("B"), memoryview(s).cast("B"))
                for t, s in zip(targets, sources, strict=True)], True
    return list(zip(targets, sources, strict=True)), False


def _copy_into(targets: list[Any], sources: list[Any]) -> None:
    """Copy each source into the target beside it, in place."""
    for target, source in zip(targets, sources, strict=True):
        target[...] = source


def solver_error(solver: str, diverged: Any, population: tuple[int, ...]) -> DivergenceError:
    """`DivergenceError` for a full-batch solver's run: `diverged` are its `Divergence`s.

    Each model named stopped at its own last finite point (the others finished
    their runs); the error names the earliest iteration.
    """
    first = min(diverged, key=lambda d: (d.iteration, d.member))
    models = sorted(d.member for d in diverged) if population else []
    who = f" for models {models} of the population" if population else ""
    if first.iteration == 0:
        what = (f"the loss at the starting weights was {first.loss}{who}, before the first "
                f"iteration of {solver}; the weights were left as they were")
    else:
        what = (f"the loss became {first.loss}{who} at iteration {first.iteration} of "
                f"{solver}; the weights of the last finite iterate were kept")
    message = (f"Training diverged: {what}. Scale the inputs and targets, or start from "
               "other weights.")
    return DivergenceError(message, iteration=first.iteration, epoch=first.iteration,
                           models=models)
