"""Callbacks: small objects whose hooks the training loop calls.

Hooks receive the loop's `TrainingState` (see `mlplab.state`), which holds the
model, the current iteration and epoch, and for the step just taken its batch
outputs (computed before the update, as the tutorials measure), the loss per
model, the gradients and the updates. A callback stops training by setting
``state.stop_training = True``.

Every hook is empty here; the loop calls a step hook only on callbacks that
override it, so an unused hook costs nothing per iteration.

Arrays: the params, grads, updates, outputs and loss are arrays of the model's
namespace (``state.params.backend.xp``: NumPy, CuPy, array-api-strict). A
callback looks the backend up once in ``on_train_begin``, computes with that
namespace, and brings to NumPy (`mlplab.backend.to_numpy`) only what it hands
to the user: recorded values, counts, printed numbers.

Config and state: ``get_config()`` is the callback's arguments as plain data
(``{"type": "EarlyStopping", "patience": 10, ...}``) and the class method
``from_config(config)`` builds an equal callback from it; see
`mlplab.callbacks.callback_from_config` for any registered type. What a callback
learns while training (early stopping's best epoch, direction counts) is
``get_state()``, a flat dict of NumPy arrays and numbers that a checkpoint can
store, and ``set_state(state)`` puts it back so that a resumed run goes on as
if it had never stopped.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from mlplab._checks import invalid

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class Callback:
    """Base class with empty hooks, and config and state for callbacks without arguments."""

    def on_train_begin(self, state: TrainingState) -> None: ...

    def on_step_begin(self, state: TrainingState) -> None: ...

    def on_before_update(self, state: TrainingState) -> None:
        """After the loss, gradients and updates are known; before they are applied."""

    def on_step_end(self, state: TrainingState) -> None: ...

    def on_epoch_end(self, state: TrainingState) -> None: ...

    def on_train_end(self, state: TrainingState) -> None: ...

    def get_config(self) -> dict[str, Any]:
        """The arguments as plain data, with the callback's ``type``.

        A callback that takes arguments writes them down itself; one that does
        not override this and takes arguments cannot be written down.
        """
        if inspect.signature(type(self)).parameters:
            raise invalid("callback", "get_config", "a callback that takes no arguments or "
                          "defines its own get_config", type(self).__name__, raw=True)
        return {"type": type(self).__name__}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Callback:
        """A callback built from `get_config`'s output."""
        return cls(**config_arguments(cls, config))

    def get_state(self) -> dict[str, Any]:
        """What training taught the callback, as NumPy arrays and numbers (nothing here)."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Put back what `get_state` returned; a callback without state takes only {}."""
        if state:
            raise invalid("state", f"{type(self).__name__}.set_state",
                          "empty: this callback keeps no state", sorted(state))


class Resumable(Callback):
    """A callback with state: `set_state` works before training begins or during it.

    A resumed run may restore the state before the loop calls ``on_train_begin``
    (it is then held until the callback has set itself up for the run) or after
    it (it goes in at once). Subclasses call `_started` at the end of their
    ``on_train_begin``, set ``_running = False`` in ``on_train_end``, and write
    `_state` and `_load_state`.
    """

    _pending: dict[str, Any] | None = None
    _running = False

    def get_state(self) -> dict[str, Any]:
        """The state as NumPy arrays and numbers (a restored one not yet in use, as given)."""
        return dict(self._pending) if self._pending is not None else self._state()

    def set_state(self, state: dict[str, Any]) -> None:
        """Put back what `get_state` returned: now if training, else when training begins."""
        if not isinstance(state, dict):
            raise invalid("state", f"{type(self).__name__}.set_state",
                          "a dict from get_state", state)
        self._pending = dict(state)
        if self._running:
            self._load_pending()

    def _started(self) -> None:
        """Training has begun: a state restored before it goes in now."""
        self._running = True
        if self._pending is not None:
            self._load_pending()

    def _load_pending(self) -> None:
        state, self._pending = self._pending, None
        self._load_state(state)

    def _state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _load_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError


def config_arguments(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments in `config`: all but ``type``, which must name `cls`."""
    if not isinstance(config, dict):
        raise invalid("config", f"{cls.__name__}.from_config", "a dict", config)
    kind = config.get("type", cls.__name__)
    if kind != cls.__name__:
        raise invalid("config", f"{cls.__name__}.from_config",
                      f"a config of type {cls.__name__!r}", f"type {kind!r}", raw=True)
    return {k: v for k, v in config.items() if k != "type"}


def overrides(callback: Callback, hook: str) -> bool:
    """Whether `callback` defines its own `hook` rather than the empty one."""
    return getattr(type(callback), hook) is not getattr(Callback, hook)
