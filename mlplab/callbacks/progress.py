"""ProgressBar: a tqdm bar over epochs, only when the output is a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab.callbacks.base import Callback

if TYPE_CHECKING:
    from mlplab.state import TrainingState


class ProgressBar(Callback):
    """Show progress over the planned epochs with the latest loss (needs the `progress` extra).

    Off when standard error is not a terminal (logs, CI, pipes) unless
    ``force=True``; tqdm is imported only when a bar is shown.
    """

    def __init__(self, *, force: bool = False, file: Any = None) -> None:
        self.force, self.file = force, file

    def on_train_begin(self, state: TrainingState) -> None:
        stream = self.file or sys.stderr
        self.bar = None
        if not (self.force or stream.isatty()):
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            raise ImportError("The progress bar needs tqdm: pip install 'mlplab[progress]'"
                              ) from None
        self.bar = tqdm(total=state.epochs, unit="epoch", file=stream, leave=False)

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{np.mean(state.history.history['loss'][-1]):.4g}",
                                 refresh=False)

    def on_train_end(self, state: TrainingState) -> None:
        if self.bar is not None:
            self.bar.close()
