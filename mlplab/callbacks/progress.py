"""ProgressBar: a tqdm bar over epochs (plain lines without tqdm), only on a terminal."""

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
    """Show progress over the planned epochs with the latest loss (a bar with the `progress` extra).

    Off when standard error is not a terminal (logs, CI, pipes) unless
    ``force=True``; tqdm is imported only when a bar is shown. Without tqdm
    each epoch prints one plain line instead, e.g. ``epoch 3/20: loss 0.41,
    val_loss 0.45``. A resumed run's bar starts at the epoch it resumes from.
    The values shown are read to the host once per epoch, and only while shown.
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
        self.bar, self.lines = None, None
        if not (self.force or stream.isatty()):
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # no bar: a plain line per epoch says as much
            self.lines = stream
            return
        self.bar = tqdm(total=state.epochs, initial=state.epoch, unit="epoch", file=stream,
                        leave=False)

    def on_epoch_end(self, state: TrainingState) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{np.mean(state.history.last('loss')):.4g}",
                                 refresh=False)
        elif self.lines is not None:
            values = ", ".join(f"{name} {np.mean(state.history.last(name)):.4g}"
                               for name in state.history.history)
            print(f"epoch {state.epoch + 1}/{state.epochs}: {values}", file=self.lines,
                  flush=True)

    def on_train_end(self, state: TrainingState) -> None:
        if self.bar is not None:
            self.bar.close()
