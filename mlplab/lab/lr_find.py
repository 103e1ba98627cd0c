"""The learning-rate finder, built on populations: every alpha trained at once, exactly.

The usual range test (Smith, "Cyclical learning rates for training neural
networks", 2017) trains one model while the learning rate ramps up step by
step, so each loss it records belongs to a different rate *and* a different
point of training. Here each alpha gets a copy of the same model, trained
for the same steps on the same batches, as one population (one value of
alpha per member): the loss curve of every alpha is the one a separate run
with that alpha would give, bit for bit, and the whole test costs about one
run's Python overhead.

    >>> from mlplab.lab import lr_find
    >>> result = lr_find(MLP([64, 64, 10], output_activation="softmax", seed=0), X, y,
    ...                  loss="softmax_crossentropy", steps=200)
    >>> result.suggestion    # the alpha whose loss fell lowest
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.backend import to_numpy
from mlplab.callbacks import Callback
from mlplab.model import model_from_config
from mlplab.optim import OPTIMIZERS, get_optimizer
from mlplab.train import fit


@dataclass
class LRFindResult:
    """The range test's outcome.

    alphas: (K,) the learning rates tried, increasing; losses: (steps, K) the
    training loss of every step for every alpha (NaN after a run diverged);
    final: (K,) the mean loss of the last tenth of the steps (inf for a run
    that diverged); suggestion: the alpha with the lowest final loss.
    """

    alphas: np.ndarray
    losses: np.ndarray
    final: np.ndarray
    suggestion: float

    def summary(self) -> str:
        """A table of alpha and final loss, the suggestion marked."""
        lines = ["alpha          final loss"]
        for alpha, value in zip(self.alphas, self.final, strict=True):
            mark = "   <- suggested" if alpha == self.suggestion else ""
            shown = "diverged" if not np.isfinite(value) else f"{value:.6g}"
            lines.append(f"{alpha:<14.4g} {shown}{mark}")
        return "\n".join(lines)


def lr_find(model: Any, X: Any, y: Any, *, alphas: Sequence[float] | None = None,
            steps: int = 100, loss: str = "mse", optimizer: str = "sgd",
            batch_size: int | None = 32, seed: Any = 0) -> LRFindResult:
    """Train a copy of `model` per alpha, as one population, and suggest the best alpha.

    model: a single model (not a population) whose weights every copy starts
    from; it is left untouched. X, y: the training data, as for `fit`.
    alphas: the learning rates to try (default 13 values log-spaced from 1e-4
    to 10). steps: training steps for every alpha (mini-batches of
    `batch_size`, the same ones for all, shuffled by `seed`). optimizer: a
    name from `mlplab.optim.OPTIMIZERS` that takes a learning rate.
    """
    if getattr(model, "population", None) != ():
        raise invalid("model", "lr_find", "a single model (each alpha gets a copy of it)",
                      f"a population of {getattr(model, 'population', '?')}" if hasattr(
                          model, "population") else model, raw=hasattr(model, "population"))
    alphas = _alphas(alphas)
    steps = check_int("steps", "lr_find", steps, low=1)
    rate = _learning_rate(optimizer)
    copies = _copies(model, len(alphas))
    record = _StepLosses()
    # Too large an alpha is meant to diverge here: its NaN rows are the finding, not a warning.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        fit(copies, X, y, loss=loss, iterations=steps, batch_size=batch_size, seed=seed,
            optimizer=get_optimizer(optimizer, owner="lr_find", **{rate: alphas}), guard=False,
            callbacks=[record])
    losses = np.array(record.losses)
    final = _final(losses)
    best = int(np.argmin(final)) if np.isfinite(final).any() else 0
    return LRFindResult(alphas, losses, final, float(alphas[best]))


def _alphas(alphas: Any) -> np.ndarray:
    if alphas is None:
        return np.logspace(-4, 1, 13)
    values = check_number("alphas", "lr_find", alphas)
    values = np.atleast_1d(values)
    if values.ndim != 1 or len(values) < 2:
        raise invalid("alphas", "lr_find", "a list of at least two learning rates > 0", alphas)
    return np.sort(values)


def _learning_rate(optimizer: Any) -> str:
    """The name of the optimizer's learning-rate argument; solvers take none."""
    name = OPTIMIZERS.canonical(optimizer, owner="lr_find", parameter="optimizer")
    rate = OPTIMIZERS.fact(name, "learning_rate")
    if rate is None:
        raise invalid("optimizer", "lr_find", "an optimizer that takes a learning rate (not a "
                      "full-batch solver)", optimizer)
    return rate


def _copies(model: Any, k: int) -> Any:
    """A population of k models, each member with `model`'s weights and buffers."""
    config = {**model.get_config(), "population": [k], "seed": [0] * k}
    copies = model_from_config(config).to(model.backend)
    xp = copies.xp
    for target, source in zip((*copies.params, *copies.buffers),
                              (*model.params, *model.buffers), strict=True):
        target[...] = xp.broadcast_to(source, target.shape)
    return copies


def _final(losses: np.ndarray) -> np.ndarray:
    """Mean loss of the last tenth of the steps per alpha; inf where a run diverged."""
    tail = losses[-max(1, len(losses) // 10):]
    with np.errstate(invalid="ignore", over="ignore"):
        final = tail.mean(axis=0)
    return np.where(np.isfinite(final) & np.isfinite(losses).all(axis=0), final, np.inf)


class _StepLosses(Callback):
    """Records every step's loss per alpha (the History keeps one value per epoch)."""

    def on_train_begin(self, state: Any) -> None:
        self.losses: list[np.ndarray] = []

    def on_step_end(self, state: Any) -> None:
        self.losses.append(np.array(to_numpy(state.loss), dtype=float))
