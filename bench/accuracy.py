"""Test accuracy of mlplab against scikit-learn's MLPClassifier and PyTorch, same settings.

Every library trains the same ReLU network on the same data with the same
recipe (hidden sizes, Adam, learning rate and schedule, batch size, epochs,
penalty, dropout, stopping rule), each with its own default initialization and
its own seeded shuffling of every epoch. Each row gives the test accuracy over
seeds 0, 1, 2 (mean, sample std, min, max), the epochs run and the seconds in
training (fit only; one BLAS/torch thread per library unless --threads says
otherwise). MLPClassifier appears only where it can follow the recipe (it has
no dropout, schedule or decoupled weight decay).

- digits: scikit-learn's 8x8 images (1797 x 64, 10 classes), standardized with
  the training statistics, one fixed stratified 75/25 split (seeds vary the
  initialization, shuffling and dropout). Recipe "sklearn": MLPClassifier's
  defaults with one hidden layer of 64 (Adam 1e-3, batch 200, L2 alpha 1e-4,
  up to 200 epochs, stopping when the training loss stalls), which mlplab and
  PyTorch follow with the same stopping rule (`StallRule`). Recipe "tuned":
  Adam 3e-3 on a cosine schedule, batch 32, 100 epochs, dropout 0.2.
- MNIST-1D (Greydanus & Kobak, 2024), generated offline by `mlplab.data.mnist1d`
  with the paper's settings: 4000 training and 1000 test signals of length 40.
  Recipe "paper": the paper's MLP baseline, 40-100-100-10, Adam 1e-2, batch 100,
  6000 steps (150 epochs). Recipe "tuned": wider layers, dropout and a cosine
  learning rate.

The tuned recipes were chosen by ``--tune``, which trains each candidate of
`CANDIDATES` with mlplab on 80% of the training set and scores it on the other
20% (seeds 0 and 1); the test set is never looked at.

    python bench/accuracy.py            # the full run: about 3 minutes on 2 cores
    python bench/accuracy.py --quick    # smoke run, seconds: 1/50 of the epochs, no real numbers
    python bench/accuracy.py --tune     # the validation search behind "tuned": about 3 minutes

Small differences in meaning: MLPClassifier's L2 penalty skips the biases, while
torch's ``weight_decay`` and mlplab's ``l2_penalty`` (both alpha / batch_size)
include them. scikit-learn and the mnist1d package are needed
(``pip install "mlplab[dev]"``); PyTorch is optional: without it its rows are left out.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import math
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np

import mlplab
from mlplab.data import Standardizer, TrainTest, digits, mnist1d, train_test_split
from mlplab.layers import Activation, Dense, Dropout, Layer
from mlplab.optim import GradientTransformation, adam, adamw, chain, l2_penalty
from mlplab.optim.schedules import cosine_decay

TOL = 1e-4  # MLPClassifier's default tol, for its stopping rule
VALIDATION_SEED = 1234  # the split that --tune holds out of the training set


@dataclass(frozen=True)
class Recipe:
    """How to train: settings that every library follows alike.

    l2: scikit-learn's ``alpha``, the gradient term alpha * W / batch_size
    (torch's ``weight_decay`` and mlplab's ``l2_penalty`` of alpha / batch_size).
    weight_decay: decoupled, AdamW (Adam when 0). dropout: after every hidden layer.
    schedule: "constant", or "cosine" from lr down to 0 over all steps.
    n_iter_no_change: MLPClassifier's stopping rule on the training loss (with
    tol 1e-4), or None to run every epoch.
    """

    hidden: tuple[int, ...]
    lr: float
    batch_size: int
    epochs: int
    l2: float = 0.0
    weight_decay: float = 0.0
    dropout: float = 0.0
    schedule: str = "constant"
    n_iter_no_change: int | None = None

    def steps(self, n_train: int) -> int:
        """Optimizer steps in all epochs (the last batch of an epoch may be short)."""
        return self.epochs * math.ceil(n_train / self.batch_size)

    def plain(self) -> bool:
        """Whether MLPClassifier can follow it (no dropout, schedule or decoupled decay)."""
        return not (self.dropout or self.weight_decay or self.schedule != "constant")

    def describe(self, n_train: int) -> str:
        optimizer = f"AdamW (decay {self.weight_decay:g})" if self.weight_decay else "Adam"
        parts = [f"hidden {'-'.join(map(str, self.hidden))} ReLU",
                 f"{optimizer} lr {self.lr:g} ({self.schedule})",
                 f"batch {self.batch_size}",
                 f"{self.epochs} epochs ({self.steps(n_train)} steps)"]
        if self.l2:
            parts.append(f"L2 alpha {self.l2:g}")
        if self.dropout:
            parts.append(f"dropout {self.dropout:g}")
        if self.n_iter_no_change:
            parts.append(f"stop after {self.n_iter_no_change} epochs without training-loss "
                         f"gain > {TOL:g}")
        return ", ".join(parts)


SKLEARN_DEFAULTS = Recipe(hidden=(64,), lr=1e-3, batch_size=200, epochs=200, l2=1e-4,
                          n_iter_no_change=10)
PAPER = Recipe(hidden=(100, 100), lr=1e-2, batch_size=100, epochs=150)  # 6000 steps
MNIST1D_TUNED = replace(PAPER, hidden=(256, 256), dropout=0.3, schedule="cosine")
_DIGITS_FAST = Recipe(hidden=(64,), lr=1e-2, batch_size=32, epochs=50, dropout=0.2,
                      schedule="cosine")
DIGITS_TUNED = replace(_DIGITS_FAST, lr=3e-3, epochs=100)

# (data set, recipe name, recipe): the rows of the table, in order.
BENCHMARKS: list[tuple[str, str, Recipe]] = [
    ("digits", "sklearn", SKLEARN_DEFAULTS),
    ("digits", "tuned", DIGITS_TUNED),
    ("mnist1d", "paper", PAPER),
    ("mnist1d", "tuned", MNIST1D_TUNED),
]

# What --tune compares on a validation split, baseline first.
CANDIDATES: dict[str, list[tuple[str, Recipe]]] = {
    "mnist1d": [
        ("paper", PAPER),
        ("paper, cosine", replace(PAPER, schedule="cosine")),
        ("paper, dropout 0.2, cosine", replace(PAPER, dropout=0.2, schedule="cosine")),
        ("256-256, dropout 0.3, constant", replace(MNIST1D_TUNED, schedule="constant")),
        ("256-256, dropout 0.3, cosine", MNIST1D_TUNED),
        ("256-256, dropout 0.5, cosine", replace(MNIST1D_TUNED, dropout=0.5)),
        ("256-256, dropout 0.3, cosine, AdamW 0.01",
         replace(MNIST1D_TUNED, weight_decay=0.01)),
    ],
    "digits": [
        ("sklearn", SKLEARN_DEFAULTS),
        ("sklearn, all 200 epochs", replace(SKLEARN_DEFAULTS, n_iter_no_change=None)),
        ("sklearn, all 200 epochs, cosine",
         replace(SKLEARN_DEFAULTS, n_iter_no_change=None, schedule="cosine")),
        ("lr 1e-2, batch 32, 50 epochs, cosine", replace(_DIGITS_FAST, dropout=0.0)),
        ("lr 1e-2, batch 32, 50 epochs, cosine, dropout 0.2", _DIGITS_FAST),
        ("lr 1e-2, batch 32, 50 epochs, cosine, AdamW 0.05",
         replace(_DIGITS_FAST, dropout=0.0, weight_decay=0.05)),
        ("lr 3e-3, batch 32, 100 epochs, cosine, dropout 0.2", DIGITS_TUNED),
    ],
}


# ----------------------------------------------------------------------------- data


@functools.cache
def load(name: str, *, quick: bool = False) -> TrainTest:
    """The fixed train/test split of a data set, ready to train on (made once per run)."""
    if name == "digits":
        X, y = digits()
        split = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
        scaler = Standardizer().fit(split.X_train)
        return split._replace(X_train=scaler.transform(split.X_train),
                              X_test=scaler.transform(split.X_test))
    # The signals come standardized; quick runs make fewer of them.
    return mnist1d(n_samples=1000 if quick else 5000)


def validation_split(data: TrainTest) -> TrainTest:
    """A stratified 80/20 split of the training part only: what --tune scores on."""
    part = train_test_split(data.X_train, data.y_train, test_size=0.2, seed=VALIDATION_SEED,
                            stratify=True)
    return TrainTest(part.X_train, part.X_test, part.y_train, part.y_test)


# ----------------------------------------------------------------------------- stopping


class StallRule:
    """MLPClassifier's stopping rule: stop once the epoch's training loss has failed to
    beat the best so far by `tol` more than `n_iter_no_change` epochs in a row."""

    def __init__(self, n_iter_no_change: int, tol: float = TOL) -> None:
        self.n_iter_no_change, self.tol = n_iter_no_change, tol
        self.best, self.count = math.inf, 0

    def stalled(self, loss: float) -> bool:
        self.count = self.count + 1 if loss > self.best - self.tol else 0
        self.best = min(self.best, loss)
        return self.count > self.n_iter_no_change


class StopOnStall(mlplab.Callback):
    """`StallRule` as an mlplab callback, reading each epoch's loss from the History."""

    def __init__(self, n_iter_no_change: int) -> None:
        self.n_iter_no_change = n_iter_no_change

    def on_train_begin(self, state: Any) -> None:
        self.rule = StallRule(self.n_iter_no_change)

    def on_epoch_end(self, state: Any) -> None:
        if self.rule.stalled(float(state.history.history["loss"][-1])):
            state.stop_training = True


# ----------------------------------------------------------------------------- libraries

class Run(NamedTuple):
    """What one training run gives: test accuracy, seconds in fit, epochs it ran."""

    accuracy: float
    seconds: float
    epochs: int


Runner = Callable[[Recipe, TrainTest, int, str], Run]


def run_mlplab(recipe: Recipe, data: TrainTest, seed: int, dtype: str) -> Run:
    """mlplab following `recipe`."""
    net = mlplab_model(recipe, data.X_train.shape[1], 10, seed, dtype)
    optimizer = mlplab_optimizer(recipe, recipe.steps(len(data.X_train)))
    callbacks = [StopOnStall(recipe.n_iter_no_change)] if recipe.n_iter_no_change else []
    start = time.perf_counter()
    history = mlplab.fit(net, data.X_train, data.y_train, loss="softmax_crossentropy",
                         optimizer=optimizer, epochs=recipe.epochs,
                         batch_size=recipe.batch_size, seed=seed, callbacks=callbacks)
    seconds = time.perf_counter() - start
    predicted = net.predict(data.X_test).argmax(axis=-1)
    return Run(accuracy(predicted, data.y_test), seconds, len(history))


def mlplab_model(recipe: Recipe, n_in: int, n_out: int, seed: int,
                 dtype: str) -> mlplab.Sequential:
    """Dense + ReLU (+ Dropout) per hidden layer, then a linear layer giving logits."""
    sizes = [n_in, *recipe.hidden]
    layers: list[Layer] = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        layers += [Dense(a, b), Activation("relu")]
        if recipe.dropout:
            layers.append(Dropout(recipe.dropout, seed=np.random.default_rng([seed, i])))
    layers.append(Dense(sizes[-1], n_out))
    # He uniform: what mlplab.MLP picks for ReLU
    return mlplab.Sequential(layers, init="he_uniform", seed=seed, dtype=dtype)


def mlplab_optimizer(recipe: Recipe, steps: int) -> GradientTransformation:
    alpha = cosine_decay(recipe.lr, steps) if recipe.schedule == "cosine" else recipe.lr
    optimizer = (adamw(alpha, weight_decay=recipe.weight_decay) if recipe.weight_decay
                 else adam(alpha))
    if recipe.l2:  # a penalty goes first, so Adam rescales it like the loss gradient
        return chain(l2_penalty(recipe.l2 / recipe.batch_size), optimizer)
    return optimizer


def run_sklearn(recipe: Recipe, data: TrainTest, seed: int, dtype: str) -> Run:
    """scikit-learn's MLPClassifier following `recipe`."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(hidden_layer_sizes=recipe.hidden, activation="relu", solver="adam",
                          learning_rate_init=recipe.lr, batch_size=recipe.batch_size,
                          alpha=recipe.l2, max_iter=recipe.epochs, shuffle=True,
                          random_state=seed, tol=TOL,
                          n_iter_no_change=recipe.n_iter_no_change or recipe.epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():  # hitting max_iter is the plan, not a problem
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X_train.astype(dtype), data.y_train)
    seconds = time.perf_counter() - start
    predicted = model.predict(data.X_test.astype(dtype))
    return Run(accuracy(predicted, data.y_test), seconds, model.n_iter_)


def run_torch(recipe: Recipe, data: TrainTest, seed: int, dtype: str) -> Run:
    """PyTorch following `recipe`."""
    torch = importlib.import_module("torch")
    torch_dtype = getattr(torch, dtype)
    X_test = torch.as_tensor(data.X_test, dtype=torch_dtype)
    with torch.random.fork_rng():  # init and dropout use torch's global generator: contain it
        torch.manual_seed(seed)
        model = torch_model(torch, recipe, data.X_train.shape[1], 10).to(torch_dtype)
        start = time.perf_counter()
        epochs = torch_train(torch, model, recipe, data, seed, torch_dtype)
        seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        predicted = model(X_test).argmax(dim=1).numpy()
    return Run(accuracy(predicted, data.y_test), seconds, epochs)


def torch_model(torch: Any, recipe: Recipe, n_in: int, n_out: int) -> Any:
    nn = torch.nn
    sizes = [n_in, *recipe.hidden]
    layers: list[Any] = []
    for a, b in pairwise(sizes):
        layers += [nn.Linear(a, b), nn.ReLU()]
        if recipe.dropout:
            layers.append(nn.Dropout(recipe.dropout))
    return nn.Sequential(*layers, nn.Linear(sizes[-1], n_out))


def torch_train(torch: Any, model: Any, recipe: Recipe, data: TrainTest, seed: int,
                torch_dtype: Any) -> int:
    """The recipe's loop: shuffled epochs of mini-batches, schedule stepped per batch.

    Returns the number of epochs run.
    """
    X = torch.as_tensor(data.X_train, dtype=torch_dtype)
    y = torch.as_tensor(data.y_train)
    n, batch = len(X), recipe.batch_size
    optimizer, scheduler = torch_optimizer(torch, model, recipe, recipe.steps(n))
    shuffle = torch.Generator().manual_seed(seed)
    rule = StallRule(recipe.n_iter_no_change) if recipe.n_iter_no_change else None
    model.train()
    for epoch in range(1, recipe.epochs + 1):
        order, total = torch.randperm(n, generator=shuffle), 0.0
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(X[rows]), y[rows])
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            if rule is not None:
                total += loss.item() * len(rows)
        if rule is not None and rule.stalled(total / n):
            return epoch
    return recipe.epochs


def torch_optimizer(torch: Any, model: Any, recipe: Recipe, steps: int) -> tuple[Any, Any]:
    """torch's Adam (L2 as weight_decay) or AdamW, and a cosine scheduler or None."""
    if recipe.weight_decay:
        optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr,
                                      weight_decay=recipe.weight_decay)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr,
                                     weight_decay=recipe.l2 / recipe.batch_size)
    if recipe.schedule != "cosine":
        return optimizer, None
    return optimizer, torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)


def accuracy(predicted: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predicted == y))


def runners(*, torch: bool = True) -> dict[str, Runner]:
    """The libraries to compare, PyTorch only when it is importable (and wanted)."""
    found = {"scikit-learn": run_sklearn, "mlplab": run_mlplab}
    if torch and importlib.util.find_spec("torch") is not None:
        found["pytorch"] = run_torch
    return found


# ----------------------------------------------------------------------------- running


@dataclass
class Row:
    """One line of the table: a library following a recipe on a data set, over seeds."""

    dataset: str
    recipe: str
    library: str
    runs: list[Run]

    def column(self, name: str) -> list[float]:
        return [getattr(run, name) for run in self.runs]


def benchmark(benchmarks: Sequence[tuple[str, str, Recipe]], libraries: dict[str, Runner],
              seeds: Sequence[int], *, quick: bool, dtype: str) -> list[Row]:
    """Every library that can follow each recipe, over every seed; one Row each."""
    rows = []
    warm_up(benchmarks[0], libraries, dtype=dtype, quick=quick)
    for dataset, name, recipe in benchmarks:
        data = load(dataset, quick=quick)
        for library, run in libraries.items():
            if library == "scikit-learn" and not recipe.plain():
                continue
            rows.append(Row(dataset, name, library, [run(recipe, data, seed, dtype)
                                                     for seed in seeds]))
    return rows


def warm_up(benchmark: tuple[str, str, Recipe], libraries: dict[str, Runner], *,
            dtype: str, quick: bool) -> None:
    """One untimed epoch per library first, so no row pays for lazy set-up (torch's)."""
    dataset, _, recipe = benchmark
    for run in libraries.values():
        run(replace(recipe, epochs=1), load(dataset, quick=quick), 0, dtype)


def tune(dataset: str, seeds: Sequence[int], *, quick: bool, dtype: str) -> None:
    """Score every candidate recipe with mlplab on a validation split of the training set."""
    data = validation_split(load(dataset, quick=quick))
    print(f"{dataset}: validation accuracy (mlplab, {len(data.y_train)} training / "
          f"{len(data.y_test)} validation rows of the training set, seeds {list(seeds)})")
    scores = []
    for label, recipe in CANDIDATES[dataset]:
        recipe = quick_budget(recipe) if quick else recipe
        results = [run_mlplab(recipe, data, seed, dtype) for seed in seeds]
        scores.append((statistics.mean(r.accuracy for r in results), label))
        each = " ".join(f"{r.accuracy:.3f}" for r in results)
        print(f"  {label:<52} {scores[-1][0]:.4f}  {each}", flush=True)
    print(f"  best: {max(scores)[1]}")


# ----------------------------------------------------------------------------- report


def print_table(rows: Sequence[Row], n_seeds: int) -> None:
    print(f"{'data set':<9} {'recipe':<8} {'library':<13}"
          f"{f'test accuracy over {n_seeds} seeds':^36} {'epochs':>7} {'train s':>8}")
    print(f"{'':<31}{'mean':>8} {'std':>8} {'min':>8} {'max':>8} {'(mean)':>7} {'(mean)':>8}")
    for row in rows:
        a = row.column("accuracy")
        spread = statistics.stdev(a) if len(a) > 1 else 0.0
        print(f"{row.dataset:<9} {row.recipe:<8} {row.library:<13}"
              f"{statistics.mean(a):>8.4f} {spread:>8.4f} {min(a):>8.4f} {max(a):>8.4f}"
              f" {statistics.mean(row.column('epochs')):>7.1f}"
              f" {statistics.mean(row.column('seconds')):>8.2f}")


def print_recipes(benchmarks: Sequence[tuple[str, str, Recipe]], sizes: dict[str, int]) -> None:
    print("recipes (every library alike; scikit-learn only where it can follow):")
    for dataset, name, recipe in benchmarks:
        print(f"  {dataset} {name}: {recipe.describe(sizes[dataset])}")


def print_speed(rows: Sequence[Row]) -> None:
    """mlplab's training time against each peer's, recipe by recipe."""
    print("training time per epoch, mlplab / peer (same recipe):")
    times = {(r.dataset, r.recipe, r.library):
             sum(r.column("seconds")) / sum(r.column("epochs")) for r in rows}
    for (dataset, recipe, library), seconds in times.items():
        if library != "mlplab":
            ours = times[(dataset, recipe, "mlplab")]
            print(f"  {dataset} {recipe}: {ours / seconds:.2f}x {library}")


def print_targets(rows: Sequence[Row], *, quick: bool) -> None:
    """The accuracy targets of issue 3, met or not."""
    mean = {(r.dataset, r.recipe, r.library): statistics.mean(r.column("accuracy"))
            for r in rows}
    best = max((v, recipe) for (d, recipe, lib), v in mean.items()
               if d == "mnist1d" and lib == "mlplab")
    ours, theirs = mean[("digits", "sklearn", "mlplab")], mean[("digits", "sklearn",
                                                                "scikit-learn")]
    print("targets (issue 3)" + (" -- quick run: budgets too small to judge" if quick else ""))
    print(f"  MNIST-1D: mlplab mean test accuracy >= 0.68: {best[0]:.4f} ({best[1]}) "
          f"{_verdict(best[0] >= 0.68)}")
    print(f"  digits: mlplab mean >= scikit-learn mean, same recipe: {ours:.4f} vs "
          f"{theirs:.4f} {_verdict(ours >= theirs - 1e-12)}")


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# ----------------------------------------------------------------------------- main


def thread_limit(threads: int, *, torch: bool) -> AbstractContextManager[Any]:
    """BLAS and OpenMP pools (and torch's, if used) limited to `threads`; 0: their defaults."""
    if threads == 0:
        return nullcontext()
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    if torch:
        importlib.import_module("torch").set_num_threads(threads)
    return threadpool_limits(threads)


def quick_budget(recipe: Recipe) -> Recipe:
    """The same recipe with 1/50 of the epochs, for a smoke run."""
    return replace(recipe, epochs=max(2, recipe.epochs // 50))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of seconds: tiny budgets, 1000 MNIST-1D signals")
    parser.add_argument("--tune", nargs="*", choices=sorted(CANDIDATES), metavar="DATASET",
                        help="score the candidate recipes on a validation split instead "
                             "(of every data set, or those named)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per row (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/torch threads per library, 0 for their defaults (default 1)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="for mlplab and PyTorch (scikit-learn follows its input)")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    seeds = list(range(args.seeds))
    libraries = runners(torch=not args.no_torch and args.tune is None)
    with thread_limit(args.threads, torch="pytorch" in libraries):
        if args.tune is not None:
            for dataset in args.tune or CANDIDATES:
                tune(dataset, seeds[:2], quick=args.quick, dtype=args.dtype)
            return
        benchmarks = [(d, name, quick_budget(r) if args.quick else r)
                      for d, name, r in BENCHMARKS]
        rows = benchmark(benchmarks, libraries, seeds, quick=args.quick, dtype=args.dtype)
    sizes = {d: len(load(d, quick=args.quick).y_train) for d in {b[0] for b in benchmarks}}
    print_table(rows, len(seeds))
    print()
    print_recipes(benchmarks, sizes)
    if "pytorch" not in libraries:
        print("PyTorch: not installed (or --no-torch), its rows left out")
    print_speed(rows)
    print_targets(rows, quick=args.quick)


if __name__ == "__main__":
    main()
