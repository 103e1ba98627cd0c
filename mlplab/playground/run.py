"""A training run that advances a few steps at a time, exactly as one `fit` call would.

`fit` runs to the end in one call; the playground needs to stop after every
few steps to draw. `Run` sets up the same pieces in the same order as
`mlplab.train.fit` (checked inputs, `Objective`, shuffled `Batches` seeded
with the run's seed, the `RandomStreams` that feed dropout, the optimizer's
state, a `TrainStep` with the callbacks' hooks) and walks the same loop, so
after N steps the weights are bit for bit those of
``fit(model, X, y, ..., iterations=N, batch_size=B, seed=seed)``: the
downloaded script can say exactly that (tests/test_playground.py checks it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mlplab.batches import Batches
from mlplab.callbacks import Callback
from mlplab.history import History
from mlplab.losses import Loss
from mlplab.objective import Objective, check_targets
from mlplab.optim import GradientTransformation
from mlplab.state import TrainingState
from mlplab.streams import RandomStreams
from mlplab.train import Hooks, TrainStep

ENDLESS = 2**62  # the playground trains until it is paused


class Run:
    """One model or population trained step by step on (X, y); see the module docstring.

    X: (n_samples, n_inputs); y: targets as `fit` takes them. batch_size None
    is full batch. callbacks: as for `fit` (a DivergenceGuard raises
    DivergenceError out of `advance`, leaving the last finite weights).
    """

    def __init__(self, model: Any, loss: Loss, optimizer: GradientTransformation, X: Any,
                 y: Any, *, batch_size: int | None, seed: int,
                 callbacks: Sequence[Callback] = ()) -> None:
        X = model.check_input(X, "X", "fit")
        y = check_targets(model, y, X.shape[0], loss, "fit")
        self.model, self.loss = model, loss
        self.objective = Objective(model, loss, X, y)
        self.batches = Batches(X, y, batch_size, shuffle=True, seed=seed, backend=model.backend)
        self.state = TrainingState(model, optimizer.init(model.params), History(),
                                   epochs=ENDLESS, max_steps=ENDLESS)
        self.state.random_streams = RandomStreams(model, seed, batches=self.batches.rng)
        self.objective.rngs = self.state.random_streams.per_layer
        self.hooks = Hooks(list(callbacks))
        self.step = TrainStep(self.objective, optimizer, self.hooks.before_update)
        self._epoch: Iterator[Any] = iter(())
        self.seconds_per_step = 1e-4
        with np.errstate(over="ignore", invalid="ignore"):
            self.hooks.call("on_train_begin", self.state)

    @property
    def iteration(self) -> int:
        return self.state.iteration

    def advance(self, steps: int) -> None:
        """Take `steps` gradient steps; epochs roll over as in fit (a fresh shuffle each)."""
        state, step = self.state, self.step
        started = time.perf_counter()
        # The sigmoid's exp overflows harmlessly; NaNs are the divergence guard's to report.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(steps):
                batch = next(self._epoch, None)
                if batch is None:
                    if state.iteration:
                        state.epoch += 1
                    self._epoch = iter(self.batches.epoch())
                    batch = next(self._epoch)
                step(state, *batch)
                for hook in self.hooks.step_end:
                    hook(state)
                state.iteration += 1
        self.seconds_per_step = 0.8 * self.seconds_per_step + 0.2 * (
            (time.perf_counter() - started) / max(steps, 1))

    def steps_within(self, seconds: float) -> int:
        """How many steps fit in `seconds`, from the steps timed so far (at least one)."""
        return max(1, min(5000, int(seconds / max(self.seconds_per_step, 1e-7))))

    def losses(self, X: Any, y: Any) -> np.ndarray:
        """The loss per model on (X, y) in predict mode (no dropout). -> (*population,)"""
        y = check_targets(self.model, y, X.shape[0], self.loss, "fit")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return np.asarray(Objective(self.model, self.loss, X, y).value(), dtype=np.float64)
