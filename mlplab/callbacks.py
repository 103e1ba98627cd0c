"""Callbacks: small objects whose hooks the training loop calls.

Hooks receive the loop's `TrainingState` (see `mlplab.train`), which holds the
model, the current iteration and epoch, and for the step just taken its batch
outputs (computed before the update, as the tutorials measure), the loss per
model, the gradients and the updates. A callback stops training by setting
``state.stop_training = True``.

Every hook is empty here; the loop calls a step hook only on callbacks that
override it, so an unused hook costs nothing per iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_int
from mlplab.metrics import Metric, get_metric

if TYPE_CHECKING:
    from mlplab.train import TrainingState


class Callback:
    """Base class with empty hooks."""

    def on_train_begin(self, state: TrainingState) -> None: ...

    def on_step_begin(self, state: TrainingState) -> None: ...

    def on_before_update(self, state: TrainingState) -> None:
        """After the loss, gradients and updates are known; before they are applied."""

    def on_step_end(self, state: TrainingState) -> None: ...

    def on_epoch_end(self, state: TrainingState) -> None: ...

    def on_train_end(self, state: TrainingState) -> None: ...


def overrides(callback: Callback, hook: str) -> bool:
    """Whether `callback` defines its own `hook` rather than the empty one."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)


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


class DirectionChanges(Callback):
    """Count, for every weight, how often its update changes direction.

    As in the tutorials: from the second iteration on, a weight's count goes
    up by one whenever "this step moves the weight down" (update < 0, the
    tutorials' ``weight_update > 0`` for a gradient they subtract) differs from
    the previous step's. ``counts`` has one integer array per parameter,
    shaped like it (population axes included).
    """

    def on_train_begin(self, state: TrainingState) -> None:
        self.counts = [np.zeros(p.shape, dtype=np.int64) for p in state.model.params]
        self._previous: list[np.ndarray] | None = None

    def on_step_end(self, state: TrainingState) -> None:
        moved_down = [u < 0 for u in state.updates]
        if self._previous is not None:
            for count, now, before in zip(self.counts, moved_down, self._previous, strict=True):
                count += now != before
        self._previous = moved_down


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
    which iteration that was. On by default in `fit`.
    """

    def __init__(self, snapshot_every: int = 100) -> None:
        self.snapshot_every = check_int("snapshot_every", "DivergenceGuard", snapshot_every,
                                        low=1)

    def on_train_begin(self, state: TrainingState) -> None:
        self._snapshot = [p.copy() for p in state.params]
        self._snapshot_iteration = state.iteration

    def on_before_update(self, state: TrainingState) -> None:
        loss = state.loss
        if math.isfinite(loss) if loss.ndim == 0 else np.isfinite(loss).all():
            if state.iteration % self.snapshot_every == 0 and _all_finite(state.params):
                for saved, p in zip(self._snapshot, state.params, strict=True):
                    np.copyto(saved, p)
                self._snapshot_iteration = state.iteration
            return
        kept = "the weights from before that step were kept"
        if not _all_finite(state.params):
            for p, saved in zip(state.params, self._snapshot, strict=True):
                np.copyto(p, saved)
            kept = (f"an earlier update had already overflowed, so the weights from "
                    f"iteration {self._snapshot_iteration} were restored")
        raise self._error(state, kept)

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


def _all_finite(arrays: list[np.ndarray]) -> bool:
    """Whether every entry of every array is finite."""
    return all(bool(np.isfinite(a).all()) for a in arrays)
