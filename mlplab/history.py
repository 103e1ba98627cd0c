"""History: what training recorded, one entry per epoch."""

from __future__ import annotations

from typing import Any

import numpy as np


class History:
    """Per-epoch records: ``history["loss"]`` is an array of shape (epochs, *population).

    ``history.history`` maps each name ("loss", metric names) to its list of
    per-epoch values; ``iterations`` is the number of training steps taken;
    ``stop_reason`` says why a full-batch solver stopped (one entry per model),
    and is None for gradient-step training.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.iterations = 0
        self.stop_reason: list[str] | None = None

    def column(self, name: str) -> list[Any]:
        """The list that holds `name`'s per-epoch values (created empty if new)."""
        return self.history.setdefault(name, [])

    @property
    def epochs(self) -> list[int]:
        """The epoch numbers recorded, 0-based."""
        return list(range(len(self)))

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.history:
            raise KeyError(f"History has no {name!r}; it has {sorted(self.history)}")
        return np.asarray(self.history[name])

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        return len(self.history.get("loss", ()))

    def __repr__(self) -> str:
        keys = list(self.history)
        return f"History(epochs={len(self)}, iterations={self.iterations}, keys={keys})"
