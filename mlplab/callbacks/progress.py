"""ProgressBar: a tqdm bar over epochs, only when the output is a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks.base import Callback, config_arguments

if TYPE_CHECKING:
    from mlplab.state import TrainingState

STREAMS = ("stderr", "stdout")  # the streams a config can name


class ProgressBar(Callback):
    """Show progress over the planned epochs with the latest loss (needs the `progress` extra).

    Off when standard error is not a terminal (logs, CI, pipes) unless
    ``force=True``; tqdm is imported only when a bar is shown. The loss shown
    is read to the host once per epoch, and only while a bar is shown.
    A config writes `file` as None, "stderr" or "stdout".
    """

    def __init__(self, *, force: bool = False, file: Any = None) -> None:
        self.force, self.file = force, file

    def get_config(self) -> dict[str, Any]:
        names = [name for name in STREAMS if getattr(sys, name) is self.file]
        if self.file is not None and not names:
            raise invalid("file", "ProgressBar", "None, sys.stderr or sys.stdout to be written "
                          "into a config", self.file)
        return {"type": type(self).__name__, "force": bool(self.force),
                "file": names[0] if names else None}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ProgressBar:
        arguments = config_arguments(cls, config)
        file = arguments.get("file")
        if file is not None and file not in STREAMS:
            raise invalid("file", "ProgressBar.from_config", "None, 'stderr' or 'stdout'", file)
        arguments["file"] = None if file is None else getattr(sys, file)
        return cls(**arguments)

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
            self.bar.set_postfix(loss=f"{np.mean(state.history.last('loss')):.4g}",
                                 refresh=False)

    def on_train_end(self, state: TrainingState) -> None:
        if self.bar is not None:
            self.bar.close()
