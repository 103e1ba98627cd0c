"""The tutorials' experiments, rerun through mlplab's public API.

Part 1 trains a one-layer (3 -> 1) and a two-layer (3 -> 4 -> 1) sigmoid
network on targets [0, 0, 1, 1]; part 2 sweeps the step size alpha on the XOR
targets [0, 1, 1, 0]. Every network follows the tutorials' conventions: no
bias, weights drawn as ``2 * random((n_in, n_out)) - 1`` from seed 1, the
delta rule, full-batch gradient descent, and the error mean(|output - y|)
measured every 10000 iterations before that iteration's update.

Part 1's networks train through `fit`, all alphas at once as a population
(one model per alpha, each from the same seed-1 weights). Part 2's grid of
hidden sizes x alphas trains in one fused loop (`mlplab.lab.fused`), which
gives fit's numbers bit for bit, several times faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mlplab._checks import check_number
from mlplab.callbacks import Callback, DirectionChanges, PrintError
from mlplab.data import tutorial_xy
from mlplab.lab.fused import train_fused
from mlplab.metrics import mae
from mlplab.model import MLP
from mlplab.optim import sgd
from mlplab.state import TrainingState
from mlplab.train import fit

ALPHAS = (0.001, 0.01, 0.1, 1, 10, 100, 1000)
HIDDEN_SIZES = (4, 8, 16, 32, 64, 128, 256)


@dataclass
class TutorialRun:
    """One tutorial network's results.

    errors: mean |output - y| at iterations 0, every, 2 * every, ...;
    outputs: predictions at the last iteration (before its update);
    weights: final weight matrices; direction_changes: per weight, as weights.
    """

    alpha: float
    hidden: int | None
    iterations: int
    every: int
    errors: list[float]
    outputs: list[float]
    weights: list[np.ndarray]
    direction_changes: list[np.ndarray] = field(default_factory=list)

    def to_json(self) -> dict:
        """Plain lists and numbers, for `mlplab reproduce --json`."""
        return {"alpha": self.alpha, "hidden": self.hidden, "errors": self.errors,
                "outputs": self.outputs, "weights": [w.tolist() for w in self.weights],
                "direction_changes": [c.tolist() for c in self.direction_changes]}


class _LastOutputs(Callback):
    """Keeps the outputs of the final iteration's forward pass."""

    def on_train_end(self, state: TrainingState) -> None:
        self.outputs = state.outputs


def tutorial_network(hidden: int | None, *, population: int | None = None,
                     seed: int = 1) -> MLP:
    """3 -> 1 (hidden None) or 3 -> hidden -> 1 sigmoid network, no bias, tutorial weights.

    population: train that many copies at once, all from the same seed.
    """
    sizes = [3, 1] if hidden is None else [3, hidden, 1]
    seeds = seed if population is None else [seed] * population
    return MLP(sizes, activation="sigmoid", output_activation="sigmoid", bias=False,
               init="tutorial", seed=seeds)


def train_tutorial(hidden: int | None, alphas: Sequence[float], targets: Sequence[float], *,
                   iterations: int, every: int = 10000, seed: int = 1) -> list[TutorialRun]:
    """Train one tutorial network per alpha (as one population) and collect the results."""
    X, y = tutorial_xy(list(targets))
    net = tutorial_network(hidden, population=len(alphas), seed=seed)
    errors = PrintError(every, print_fn=None)
    directions, last = DirectionChanges(), _LastOutputs()
    fit(net, X, y, loss="delta", optimizer=sgd(np.asarray(alphas, dtype=float)),
        iterations=iterations, callbacks=[errors, directions, last])
    return [
        TutorialRun(alpha=float(alpha), hidden=hidden, iterations=iterations, every=every,
                    errors=[float(e[k]) for e in errors.errors],
                    outputs=last.outputs[k, :, 0].tolist(),
                    weights=[w[k].copy() for w in net.params],
                    direction_changes=[c[k].copy() for c in directions.counts])
        for k, alpha in enumerate(alphas)
    ]


def part1(*, iterations: int | None = None, targets: Sequence[float] = (0, 0, 1, 1),
          alpha: float = 1.0, every: int = 10000) -> list[TutorialRun]:
    """Part 1: the one-layer network (10000 iterations) and the 3-4-1 network (60000)."""
    one = train_tutorial(None, [alpha], targets, iterations=iterations or 10000, every=every)
    two = train_tutorial(4, [alpha], targets, iterations=iterations or 60000, every=every)
    return one + two


def part2(*, hidden_sizes: Sequence[int] = (4,), alphas: Sequence[float] = ALPHAS,
          targets: Sequence[float] = (0, 1, 1, 0), iterations: int = 60000,
          every: int = 10000) -> list[TutorialRun]:
    """Part 2: the alpha sweep on XOR targets, for each hidden size, in one fused loop."""
    X, y = tutorial_xy(list(targets))
    grid = [(hidden, check_number("alpha", "part2", alpha))
            for hidden in hidden_sizes for alpha in alphas]
    weights = [tutorial_network(hidden).get_weights() for hidden, _ in grid]
    run = train_fused(weights, [alpha for _, alpha in grid], X, y, iterations=iterations,
                      every=every, directions=True)
    errors = [mae(outputs, y) for outputs in run.outputs]  # as PrintError measures them
    return [TutorialRun(alpha=alpha, hidden=hidden, iterations=iterations, every=every,
                        errors=[float(e[k]) for e in errors],
                        outputs=run.last_outputs[k, :, 0].tolist(), weights=run.weights[k],
                        direction_changes=run.direction_changes[k])
            for k, (hidden, alpha) in enumerate(grid)]


def format_part1(runs: list[TutorialRun], *, directions: bool = False) -> str:
    """Part 1 in the tutorial's words: the one-layer outputs, then the two-layer errors."""
    one, two = runs
    lines = [f"One-layer network (3 -> 1), {one.iterations} iterations", "Output After Training:",
             str(np.array(one.outputs)[:, None])]
    lines += ["", f"Two-layer network (3 -> {two.hidden} -> 1), alpha {two.alpha:g}, "
              f"{two.iterations} iterations"]
    lines += [f"Error:{error}" for error in two.errors]
    lines += ["Output After Training:", str(np.array(two.outputs)[:, None])]
    if directions:
        lines += _weights_and_directions(two)
    return "\n".join(lines)


def format_part2(runs: list[TutorialRun], *, directions: bool = False) -> str:
    """Part 2 in the tutorial's words: per alpha, the error every 10000 iterations."""
    lines: list[str] = []
    for run in runs:
        if lines:
            lines.append("")
        lines.append(f"Training With Alpha:{run.alpha:g}" +
                     (f" (hidden size {run.hidden})" if len(_hiddens(runs)) > 1 else ""))
        lines += [f"Error after {i * run.every} iterations:{error}"
                  for i, error in enumerate(run.errors)]
        if directions:
            lines += _weights_and_directions(run)
    return "\n".join(lines)


def _hiddens(runs: list[TutorialRun]) -> set[int | None]:
    return {run.hidden for run in runs}


def _weights_and_directions(run: TutorialRun) -> list[str]:
    lines = []
    for i, (w, c) in enumerate(zip(run.weights, run.direction_changes, strict=True)):
        lines += [f"Synapse {i}", str(w), f"Synapse {i} Update Direction Changes", str(c)]
    return lines


def format_error_table(runs: list[TutorialRun]) -> str:
    """Final error (the last one reported) of every run, alphas down, hidden sizes across."""
    alphas = sorted({run.alpha for run in runs})
    hiddens = sorted({run.hidden for run in runs}, key=lambda h: (h is None, h))
    final = {(run.alpha, run.hidden): run.errors[-1] for run in runs}
    lines = ["Final error (mean |output - y|), alpha down, hidden size across",
             f"{'alpha':>8}" + "".join(f"{h!s:>12}" for h in hiddens)]
    lines += [f"{a:>8g}" + "".join(f"{final[a, h]:>12.6g}" if (a, h) in final else f"{'':>12}"
                                   for h in hiddens) for a in alphas]
    return "\n".join(lines)
