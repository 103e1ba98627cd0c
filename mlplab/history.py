"""History: what training recorded, one entry per epoch.

Values may be arrays of any namespace (a 0-d loss, or one value per model of
a population, on a GPU for a CuPy model). They are kept as they are recorded
and brought to NumPy only when read: reading a GPU value waits for the GPU to
finish its queued work, so converting on record would stall every epoch (with
full-batch training, every step) even when nobody looks. A value is converted
once, on its first read, and the NumPy copy replaces it in its column, so
callbacks that read the latest value every epoch pay one transfer per epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.backend import to_numpy


class History:
    """Per-epoch records: ``history["loss"]`` is an array of shape (epochs, *population).

    ``history.history`` maps each name ("loss", metric names) to its list of
    per-epoch values, as recorded (any array namespace); ``history[name]``
    and `last` give NumPy. ``iterations`` is the number of training steps
    taken; ``stop_reason`` says why a full-batch solver stopped (one entry
    per model), and is None for gradient-step training. ``optimizer_state`` is
    the optimizer's state after gradient-step training (None for solvers), which
    ``fit(..., optimizer_state=...)`` continues from.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.iterations = 0
        self.stop_reason: list[str] | None = None
        self.optimizer_state: Any = None

    def column(self, name: str) -> list[Any]:
        """The list that holds `name`'s per-epoch values (created empty if new)."""
        return self.history.setdefault(name, [])

    def last(self, name: str) -> Any:
        """`name`'s latest value as NumPy: a number, or one per model of a population."""
        column = self._column(name)
        if not column:
            raise KeyError(f"History has no value of {name!r} yet")
        column[-1] = _host(column[-1])
        return column[-1]

    @property
    def epochs(self) -> list[int]:
        """The epoch numbers recorded, 0-based."""
        return list(range(len(self)))

    def __getitem__(self, name: str) -> np.ndarray:
        column = self._column(name)
        column[:] = [_host(value) for value in column]
        return np.asarray(column)

    def _column(self, name: str) -> list[Any]:
        if name not in self.history:
            raise KeyError(f"History has no {name!r}; it has {sorted(self.history)}")
        return self.history[name]

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        return len(self.history.get("loss", ()))

    def __repr__(self) -> str:
        keys = list(self.history)
        return f"History(epochs={len(self)}, iterations={self.iterations}, keys={keys})"


def _host(value: Any) -> Any:
    """A recorded value on the host: NumPy arrays and Python numbers as they are.

    Others are copied (a CPU namespace's `to_numpy` may share its memory).
    """
    if isinstance(value, np.ndarray | np.generic | float | int):
        return value
    return np.array(to_numpy(value))
