"""Checkpoint: save the whole run every N epochs, so it can be resumed bit for bit."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlplab._checks import check_int, invalid
from mlplab.callbacks.base import Callback
from mlplab.checkpoint import save_checkpoint

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class Checkpoint(Callback):
    """Write a checkpoint to `path` at the end of every `every`-th epoch (and the last).

    Each write replaces the previous one atomically, so the file on disk is
    always a complete checkpoint. Continue with ``fit(..., resume_from=path)``.
    metadata: a dict of plain data (JSON: str, numbers, bools, None, lists, dicts)
    written with every checkpoint, e.g. the settings of the run so that it can
    be continued from the file alone; read it back with
    `mlplab.checkpoint.read_checkpoint_metadata`.
    """

    def __init__(self, path: str | os.PathLike, *, every: int = 1,
                 metadata: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.every = check_int("every", "Checkpoint", every, low=1)
        if metadata is not None and not isinstance(metadata, dict):
            raise invalid("metadata", "Checkpoint", "None or a dict of plain data", metadata)
        self.metadata = metadata

    def get_config(self) -> dict[str, Any]:
        config = {"type": type(self).__name__, "path": str(self.path), "every": self.every}
        return config if self.metadata is None else {**config, "metadata": self.metadata}

    def on_epoch_end(self, state: TrainingState) -> None:
        if (state.epoch + 1) % self.every == 0:
            self.save(state)

    def on_train_end(self, state: TrainingState) -> None:
        if (state.epoch + 1) % self.every:
            self.save(state)

    def save(self, state: TrainingState) -> None:
        """Write the run as it stands (at an epoch end) now."""
        save_checkpoint(self.path, state, metadata=self.metadata)
