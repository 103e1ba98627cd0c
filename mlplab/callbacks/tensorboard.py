"""TensorBoard: write each epoch's History, learning rate, gradient norms and weights as events.

Needs tensorboardX (``pip install "mlplab[tensorboard]"``), which writes
TensorBoard's event files without torch or TensorFlow; view them with
``tensorboard --logdir LOGDIR``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks.base import Callback
from mlplab.callbacks.config import to_numpy
from mlplab.diagnostics import param_labels

if TYPE_CHECKING:
    from mlplab.state import TrainingState

OWNER = "TensorBoard"


class TensorBoard(Callback):
    """Log every epoch to TensorBoard event files under `logdir`, one run per model.

    At the end of epoch e (the event's step, 0-based like the History's rows):

    - every name the History holds ("loss", metrics, "val_loss", ...) as a scalar;
    - ``learning_rate``: the optimizer's alpha as used by the epoch's last step,
      ``schedule(t - 1)`` after t steps for a schedule; for `reduce_lr_on_plateau`
      the rate of the `ReducePlateau` callback's rate object at this moment (list
      TensorBoard before ReducePlateau to log the rate the epoch used). Skipped
      when the optimizer has no alpha (solvers, a transformation built by hand).
      A `LearningRateScheduler` callback's factor is not included (it records
      its own ``factors``);
    - ``grad_norm/layer_i/NAME``: the Frobenius norm ||dL/dW|| of each parameter
      array's gradient at the epoch's **last step** (not an epoch mean), for
      gradient-step training (solvers take no steps to read);
    - ``weights/layer_i/NAME``: a histogram of each parameter array's values
      (``histograms=False`` leaves them out).

    A single model writes to `logdir` itself. A population of K models (see
    `mlplab.params`) writes one run per model, ``logdir/member_000``,
    ``logdir/member_001``, ... (models numbered in C order over the
    population's axes), each with that model's values only, so TensorBoard
    draws the members as separate curves. The writers are flushed every epoch
    and closed when training ends.
    """

    def __init__(self, logdir: str | os.PathLike, *, histograms: bool = True) -> None:
        if not isinstance(logdir, str | os.PathLike) or not os.fspath(logdir):
            raise invalid("logdir", OWNER, "a folder path (a non-empty str or os.PathLike)",
                          logdir)
        if not isinstance(histograms, bool):
            raise invalid("histograms", OWNER, "True or False", histograms)
        self.logdir, self.histograms = Path(logdir), histograms
        self._writers: list[Any] = []

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "logdir": os.fspath(self.logdir),
                "histograms": self.histograms}

    def on_train_begin(self, state: TrainingState) -> None:
        writer_class = _summary_writer()
        population = tuple(state.params.population)
        self._pop_ndim, self._members = len(population), math.prod(population)
        folders = ([self.logdir] if not population else
                   [self.logdir / f"member_{i:03d}" for i in range(self._members)])
        self._writers = [writer_class(logdir=os.fspath(folder)) for folder in folders]
        self._tags = [_tag(label) for label in param_labels(state.model)]
        self._rate = _learning_rate(state)

    def on_epoch_end(self, state: TrainingState) -> None:
        step, history = state.epoch, state.history
        scalars = {name: history.last(name) for name in history.history
                   if len(history.history[name]) > step}
        if self._rate is not None:
            scalars["learning_rate"] = self._rate(max(state.iteration - 1, 0))
        for i, grad in enumerate(state.grads):
            scalars[f"grad_norm/{self._tags[i]}"] = self._norms(grad)
        for name, value in scalars.items():
            for writer, member in zip(self._writers, self._split(value), strict=True):
                writer.add_scalar(name, float(member), global_step=step)
        if self.histograms:
            for tag, p in zip(self._tags, state.params, strict=True):
                for writer, member in zip(self._writers, self._members_of(p), strict=True):
                    writer.add_histogram(f"weights/{tag}", member, global_step=step)
        for writer in self._writers:
            writer.flush()

    def on_train_end(self, state: TrainingState) -> None:
        for writer in self._writers:
            writer.close()
        self._writers = []

    def _norms(self, grad: Any) -> np.ndarray:
        """||grad|| of each model's array: shape (*population,)."""
        g = np.asarray(to_numpy(grad), dtype=np.float64)
        return np.sqrt(np.sum(g * g, axis=tuple(range(self._pop_ndim, g.ndim))))

    def _split(self, value: Any) -> list[Any]:
        """One number per run: a population's values in C order, a scalar for every run."""
        flat = np.ravel(np.asarray(to_numpy(value)))
        return list(flat) if flat.size == self._members else [flat[0]] * len(self._writers)

    def _members_of(self, p: Any) -> list[np.ndarray]:
        """Each model's copy of a parameter array (the whole array for a single model)."""
        host = np.asarray(to_numpy(p))
        return list(host.reshape((self._members, *host.shape[self._pop_ndim:])))


def _tag(label: str) -> str:
    """A parameter's TensorBoard tag: "layer 0 W" -> "layer_0/W" (grouped by layer)."""
    layer, index, name = label.split(" ", 2)
    return f"{layer}_{index}/{name.replace(' ', '_')}"


def _summary_writer() -> Any:
    """tensorboardX's SummaryWriter, or the ImportError naming the extra."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise ImportError("The TensorBoard callback needs tensorboardX: "
                          "pip install 'mlplab[tensorboard]'") from None
    return SummaryWriter


def _learning_rate(state: TrainingState) -> Any:
    """``step -> rate`` for the run's optimizer, or None when it has no readable alpha."""
    alpha = _alpha(state.optimizer_config)
    if alpha is None:
        return None
    if isinstance(alpha, dict):  # a schedule's config: rebuilt, or the live plateau rate
        from mlplab.optim.config import optimizer_from_config  # callbacks sit above optim

        live = [c.rate for c in state.stateful_callbacks
                if callable(getattr(getattr(c, "rate", None), "observe", None))
                and c.rate.get_config() == alpha]
        return live[0] if live else optimizer_from_config(alpha)
    return lambda step: alpha


def _alpha(config: Any) -> Any:
    """The first ``alpha`` in an optimizer's config, searching a chain's links in order."""
    if not isinstance(config, dict):
        return None
    if "alpha" in config:
        return config["alpha"]
    for link in config.get("links", ()):
        found = _alpha(link)
        if found is not None:
            return found
    return None
