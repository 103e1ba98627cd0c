"""The notebooks' regression experiment: one layer against two, and a divergence lesson.

Data: 100 samples of three inputs drawn uniformly from [0, 1) and the target
y = 2*x0 + 1*x1 + 0*x2 + noise (noise sd 0.2). The notebook states this
function but its own data code sums the raw columns (y = x0 + x1 + x2, with
no weights) by mistake; mlplab implements the stated function.

Networks, trained with the tutorials' delta rule (the error not averaged over
samples) by full-batch gradient descent for 3000 epochs, at learning rates
0.01 and 0.001 (one population per network): a one-layer linear network
(3 -> 1), and two-layer networks with tanh or sigmoid hidden units and a
linear output (3 -> 4 -> 1). The MSE, mean((y - output)**2), is recorded every
epoch, as the notebooks report it.

The lesson: with a linear output, learning rate 1 on these unscaled targets
makes every step overshoot further; mlplab's divergence guard stops that run
with a message instead of letting it run to NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mlplab.callbacks import DivergenceError
from mlplab.model import MLP
from mlplab.optim import sgd
from mlplab.train import fit

NETWORKS = {"one-layer linear": ([3, 1], "linear"),
            "two-layer tanh/linear": ([3, 4, 1], "tanh"),
            "two-layer sigmoid/linear": ([3, 4, 1], "sigmoid")}
LEARNING_RATES = (0.01, 0.001)


class NotebookRun(NamedTuple):
    """One network at one learning rate: its MSE after every epoch."""

    network: str
    learning_rate: float
    mse: np.ndarray

    def to_json(self) -> dict[str, Any]:
        """Plain lists and numbers, for `mlplab reproduce notebook --json`."""
        return {"network": self.network, "learning_rate": self.learning_rate,
                "mse": self.mse.tolist()}


def regression_data(n_samples: int = 100, *, noise: float = 0.2, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """X: (n, 3) uniform on [0, 1); y: (n, 1) = 2 x0 + x1 + noise (the stated function)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_samples, 3))
    y = X @ np.array([2.0, 1.0, 0.0]) + noise * rng.standard_normal(n_samples)
    return X, y[:, None]


def compare(*, epochs: int = 3000, learning_rates: Sequence[float] = LEARNING_RATES,
            seed: int = 1, data_seed: int = 0) -> list[NotebookRun]:
    """Train each network at each learning rate; the rates of one network run as a population."""
    X, y = regression_data(seed=data_seed)
    runs = []
    for name, (sizes, activation) in NETWORKS.items():
        net = MLP(sizes, activation=activation, output_activation="linear", bias=False,
                  init="tutorial", seed=[seed] * len(learning_rates))
        history = fit(net, X, y, loss="delta", epochs=epochs, metrics=["mse"],
                      optimizer=sgd(np.asarray(learning_rates, dtype=float)))
        runs += [NotebookRun(name, float(rate), history["mse"][:, k])
                 for k, rate in enumerate(learning_rates)]
    return runs


def divergence_lesson(*, learning_rate: float = 1.0, epochs: int = 3000, seed: int = 1,
                      data_seed: int = 0) -> str:
    """Train the one-layer linear network at `learning_rate`; the guard's report, if it trips."""
    X, y = regression_data(seed=data_seed)
    net = MLP([3, 1], output_activation="linear", bias=False, init="tutorial", seed=seed)
    try:
        fit(net, X, y, loss="delta", epochs=epochs, optimizer=sgd(learning_rate))
    except DivergenceError as error:
        return str(error)
    return f"learning rate {learning_rate:g} trained for {epochs} epochs without diverging"


def format_comparison(runs: list[NotebookRun], *, every: int = 500) -> str:
    """The MSE of every run every `every` epochs, one table."""
    epochs = len(runs[0].mse)
    marks = [*range(0, epochs, every), epochs - 1]
    header = f"{'network':<26}{'rate':>7}" + "".join(f"{f'epoch {m}':>14}" for m in marks)
    lines = ["MSE = mean((y - output)**2) on y = 2*x0 + 1*x1 + 0*x2 + noise", header]
    lines += [f"{run.network:<26}{run.learning_rate:>7g}"
              + "".join(f"{run.mse[m]:>14.6g}" for m in marks) for run in runs]
    return "\n".join(lines)


def curves(runs: list[NotebookRun]) -> dict[str, Any]:
    """The runs as {label: MSE per epoch}, for `mlplab.plotting.plot_loss_curves`."""
    return {f"{run.network}, rate {run.learning_rate:g}": run.mse for run in runs}
