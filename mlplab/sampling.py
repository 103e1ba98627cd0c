"""AW-SGD: mini-batches drawn from a sampling distribution that learns which rows matter.

Bouchard, Trouillon, Perez & Gaidon, "Online learning to sample" (2015).
Plain SGD draws rows uniformly, p_i = 1/n. AW-SGD draws them from a learned
distribution q_tau and keeps the gradient unbiased with importance weights:

    draw i ~ q_tau,   g~_i = (p_i / q_i) * grad f_i(w),   w <- w - alpha * mean(g~)

and moves tau to reduce the variance of g~, E_q ||g~||^2, by a stochastic
gradient step on it:

    tau <- tau + eta * mean_i ||g~_i||^2 * grad_tau log q_tau(i).

Here q_tau is a softmax over one logit per row, so grad_tau log q(i) = e_i - q:
rows whose gradients are large (informative, badly fitted rows) are drawn
more often, and their weights p/q shrink so the mean gradient stays unbiased.

Choices made here, beyond the paper:
- ||grad f_i||^2 is approximated by the squared norm of the loss gradient at
  the network's output (the logits, for a fused cross-entropy). It costs
  nothing extra, and every weight gradient of row i is that vector times
  activations, so it ranks rows much as the full norm does.
- The scores are divided by their batch mean before the tau step, so `eta` is
  free of the loss's scale.
- q mixes the learned softmax with the uniform distribution,
  q = (1 - mix) * softmax(tau) + mix / n, so every row stays reachable and no
  importance weight exceeds 1 / mix.
- A population of models shares one q, driven by the mean of its models' scores.

The reported loss of a step is that of the drawn batch, unweighted.

Per-sample weights s (``fit(..., sample_weight=s)``) change the target
distribution, not the step: p_i = s_i / sum_j s_j instead of 1/n, so the
importance-weighted gradient is unbiased for the weighted loss (integer
weights: as if row i were repeated s_i times). Rows of weight 0 get
importance weight 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from mlplab._checks import check_number, invalid
from mlplab.backend import to_numpy
from mlplab.batches import Batches
from mlplab.callbacks.base import Callback

if TYPE_CHECKING:
    from mlplab.objective import Objective
    from mlplab.state import TrainingState


class AdaptiveSampling:
    """AW-SGD's settings for `fit(..., sampler=AdaptiveSampling(...))`; see the module docstring.

    eta: step size of the sampling logits; mix: share of the uniform
    distribution in q, in (0, 1]. After a run, ``last_run`` is its
    `AdaptiveBatches` (``counts`` per row, the learned ``probabilities``).
    """

    def __init__(self, *, eta: float = 0.1, mix: float = 0.1) -> None:
        self.eta = check_number("eta", "AdaptiveSampling", eta)
        self.mix = check_number("mix", "AdaptiveSampling", mix, high=1.0)

    def batches(self, objective: Objective, batch_size: int | None, seed: Any) -> AdaptiveBatches:
        """The batch source and learner for one training run."""
        if batch_size is None:
            raise invalid("batch_size", "fit", "an int: adaptive sampling draws mini-batches",
                          batch_size)
        self.last_run = AdaptiveBatches(objective, batch_size, self, seed=seed)
        return self.last_run


class AdaptiveBatches(Batches, Callback):
    """Draws each epoch's n // batch_size batches from q, and learns q after every step.

    ``probabilities`` is the current q, (n,); ``counts`` how often each row was drawn.
    """

    def __init__(self, objective: Objective, batch_size: int, settings: AdaptiveSampling, *,
                 seed: Any = None) -> None:
        super().__init__(objective.X, objective.y, batch_size, shuffle=True, seed=seed,
                         backend=objective.model.backend)
        self.objective, self.eta, self.mix = objective, settings.eta, settings.mix
        self.target: np.ndarray | None = None  # p: uniform (None), or the sample weights'
        if objective.sample_weight is not None:
            weights = np.asarray(to_numpy(objective.sample_weight), dtype=float)
            self.target = weights / weights.sum()
            objective.batch_weights = None  # the importance weights carry them instead
        self.logits = np.zeros(self.n)
        self.counts = np.zeros(self.n, dtype=np.int64)
        self._update_probabilities()

    def _update_probabilities(self) -> None:
        softmax = np.exp(self.logits - self.logits.max())
        self.probabilities = (1 - self.mix) * softmax / softmax.sum() + self.mix / self.n

    def epoch(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for _ in range(self.per_epoch):
            self.rows = self.rng.choice(self.n, size=self.size, p=self.probabilities)
            self.counts += np.bincount(self.rows, minlength=self.n)
            q = self.probabilities[self.rows]
            weights = 1 / (self.n * q) if self.target is None else self.target[self.rows] / q
            self.objective.sample_weights = self.backend.asarray(weights[:, None],
                                                                 dtype=self.X.dtype)
            yield self.take(self.rows)

    def on_step_end(self, state: TrainingState) -> None:
        # The sampler learns on the host: (*population, batch, n_outputs) -> (batch,).
        grad = to_numpy(self.objective.output_gradient)
        squared = (grad * grad).sum(axis=-1).reshape(-1, self.size).mean(axis=0)
        scores = squared * to_numpy(self.objective.sample_weights)[:, 0] ** 2  # ||g~_i||^2
        scores = scores / max(scores.mean(), np.finfo(float).tiny)
        step = np.bincount(self.rows, weights=scores, minlength=self.n)
        step -= scores.sum() * self.probabilities  # sum over the batch of s_i (e_i - q)
        self.logits += self.eta * step / self.size
        self._update_probabilities()

    def on_train_end(self, state: TrainingState) -> None:
        self.objective.sample_weights = None

    def get_state(self) -> dict[str, Any]:
        """The learned sampling logits and the draw counts (a checkpoint keeps them)."""
        return {"logits": self.logits.copy(), "counts": self.counts.copy()}

    def set_state(self, state: dict[str, Any]) -> None:
        """Put back what `get_state` returned, so a resumed run draws as the first would."""
        for key in ("logits", "counts"):
            value = np.asarray(state.get(key) if isinstance(state, dict) else None)
            if value.shape != (self.n,):
                raise invalid("state", "AdaptiveBatches.set_state", f"a dict with {key!r} of "
                              f"shape ({self.n},) (from get_state)", state)
        self.logits = np.array(state["logits"], dtype=float)
        self.counts = np.array(state["counts"], dtype=np.int64)
        self._update_probabilities()
