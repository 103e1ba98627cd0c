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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlplab.state import TrainingState


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
