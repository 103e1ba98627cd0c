"""Sweeps: train every configuration of a grid at once, and tabulate the errors.

    >>> from mlplab.lab import sweep
    >>> result = sweep(alpha=[0.1, 1, 10], hidden=[4, 8], seed=range(3), iterations=2000,
    ...                every=500)
    >>> result.best()["alpha"], result.final().rows[0]["error"]

Each keyword takes one value or a list (see `mlplab.lab.grid`); the defaults
are the tutorials' network and conventions, and the data defaults to the
tutorials' XOR targets. Configurations that differ only in alpha and seed
share a shape and train as one population (one `fit` call, ``MLP(seed=[...])``
with ``sgd(np.array(alphas))``), so a population gives exactly the numbers of
its separate runs.

Where the populations run: ``executor=`` (any `concurrent.futures.Executor`,
or a Dask ``distributed.Client``) gets one task per population or fused loop,
never single models, and the results are put back in the grid's order, so the
table equals the serial one bit for bit. Without an executor, joblib runs
them: ``n_jobs`` > 1 asks for that many workers of the active joblib backend;
``n_jobs=None`` (the default) follows an active ``joblib.parallel_config``
(its backend, Dask's included, and its n_jobs), and is serial when none is
active; ``n_jobs=1`` is serial whatever the configuration. On a cluster:

    >>> from distributed import Client
    >>> with Client("tcp://scheduler:8786") as client:
    ...     result = sweep(hidden=[4, 8, 16], seed=range(10), executor=client)

engine="auto" trains the tutorial network itself (one sigmoid hidden layer,
sigmoid output, no bias, the delta rule, plain sgd, full batch, one output)
in `mlplab.lab.fused` instead: every hidden size in one loop, the same numbers
as fit bit for bit, many times faster. engine="fit" always uses fit.

backend: where the populations train ("cupy" for a GPU; see `mlplab.backend`).
The fused loop is NumPy's own, so on another backend every configuration goes
through fit; the table is NumPy either way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import as_float_array, check_choice, check_int, invalid
from mlplab.backend import get_backend, to_numpy
from mlplab.callbacks import Callback
from mlplab.data import tutorial_xy
from mlplab.lab.fused import train_fused
from mlplab.lab.grid import AXES, Config, grid, population_groups
from mlplab.lab.results import SweepResult
from mlplab.lab.tutorials import ALPHAS
from mlplab.losses import Delta, SoftmaxCrossEntropy, get_loss
from mlplab.metrics import Metric, get_metric, metric_name
from mlplab.objective import check_targets, evaluate
from mlplab.optim import get_optimizer
from mlplab.state import TrainingState
from mlplab.train import fit

try:
    from joblib import Parallel, delayed, effective_n_jobs
    from joblib.parallel import BACKENDS, DEFAULT_BACKEND, get_active_backend
except ImportError:  # joblib is optional: sweeps then run one population after another
    Parallel = None

# Per-step cost of the fused loop, in microseconds, to split its work evenly
# between processes: per hidden-size group, per network, per hidden unit.
_FUSED_COST = (8.0, 1.0, 0.03)


class Task(NamedTuple):
    """Configurations that one worker trains together: one population, or one fused loop."""

    engine: str  # "fit" or "fused"
    items: list[tuple[int, Config]]  # (position in the grid, configuration)


def sweep(X: Any = None, y: Any = None, *, alpha: Any = ALPHAS, hidden: Any = 4,
          activation: Any = "sigmoid", output_activation: Any = "sigmoid", optimizer: Any = "sgd",
          loss: Any = "delta", seed: Any = 1, iterations: Any = 60000, batch_size: Any = None,
          bias: Any = False, init: Any = "tutorial", every: int = 10000,
          metric: str | Metric = "mae", shuffle_seed: int = 0, n_jobs: int | None = None,
          executor: Any = None, engine: str = "auto", keep_weights: bool = False,
          backend: Any = None) -> SweepResult:
    """Train every combination of the grid axes on (X, y) and return the tidy table.

    X: (n_samples, n_inputs), y: (n_samples, n_outputs) or (n_samples,); both
    default to the tutorials' XOR data. every: record the error (`metric`, the
    tutorials' mean |output - y| by default) and loss every that many
    iterations, before that iteration's update. shuffle_seed: the mini-batch
    order, shared by every configuration. n_jobs: joblib workers (-1: all
    cores; None: an active joblib.parallel_config's, else serial). executor: a
    concurrent.futures.Executor or Dask Client that trains the tasks (n_jobs
    then only sets how many tasks to make; default the executor's size).
    keep_weights: keep every trained model's weights (`SweepResult.model`).
    backend: None or "numpy" (the default), "cupy", ... (see the module docstring).
    """
    configs = grid(alpha=alpha, hidden=hidden, activation=activation,
                   output_activation=output_activation, optimizer=optimizer, loss=loss,
                   seed=seed, iterations=iterations, batch_size=batch_size, bias=bias, init=init)
    X, y = _data(X, y)
    every = check_int("every", "sweep", every, low=1)
    metric_fn = get_metric(metric, owner="sweep")
    engine = check_choice("engine", "sweep", engine, ("auto", "fit"))
    backend = get_backend("numpy" if backend is None else backend, owner="sweep")
    if not backend.is_numpy:
        engine = "fit"
    workers = _workers(n_jobs, executor)
    tasks = plan(list(enumerate(configs)), y.shape[1] if y.ndim == 2 else 1, engine, workers)
    args = (X, y, every, metric_fn, shuffle_seed, keep_weights, backend)
    done = run_tasks(tasks, args, workers, executor=executor,
                     joblib_config=n_jobs is None and joblib_configured())
    rows = sorted((row for rows, _ in done for row in rows),
                  key=lambda row: (row["config"], row["iteration"], row["final"]))
    weights = {i: w for _, kept in done for i, w in kept.items()} if keep_weights else None
    return SweepResult(rows, AXES, metric_name(metric), weights)


def plan(items: list[tuple[int, Config]], n_outputs: int, engine: str,
         workers: int) -> list[Task]:
    """Split the grid into tasks: fused loops for the tutorial network, populations for the rest.

    n_outputs: the columns of y (the fused loop needs exactly one).
    With several workers, a fused loop is split into one even share per
    worker, and the largest populations are halved until every worker has one.
    """
    fused = [item for item in items if engine == "auto" and fusable(item[1], n_outputs)]
    fused_indices = {index for index, _ in fused}
    rest = [item for item in items if item[0] not in fused_indices]
    tasks = [Task("fit", group) for group in population_groups(rest)]
    for run_length in dict.fromkeys(config.iterations for _, config in fused):
        block = [item for item in fused if item[1].iterations == run_length]
        tasks += [Task("fused", share) for share in _fused_shares(block, workers)]
    while len(tasks) < workers and max(len(t.items) for t in tasks) > 1:
        largest = max(tasks, key=lambda t: len(t.items))
        tasks.remove(largest)
        half = len(largest.items) // 2
        tasks += [Task(largest.engine, largest.items[:half]),
                  Task(largest.engine, largest.items[half:])]
    return tasks


def run_tasks(tasks: list[Task], args: tuple[Any, ...], workers: int, *, executor: Any = None,
              joblib_config: bool = False) -> list[Any]:
    """Each task's `run_task(task, *args)`, in the tasks' order, wherever they are to run.

    executor: submit every task to it. joblib_config: hand them to joblib's
    active configuration as it stands. Otherwise `workers` joblib workers,
    or here, one after another, for one worker or one task.
    """
    if executor is not None:
        futures = [executor.submit(run_task, task, *args) for task in tasks]
        return [future.result() for future in futures]
    if joblib_config:
        return Parallel()(delayed(run_task)(task, *args) for task in tasks)
    if workers == 1 or len(tasks) == 1:
        return [run_task(task, *args) for task in tasks]
    return Parallel(n_jobs=workers)(delayed(run_task)(task, *args) for task in tasks)


def joblib_configured() -> bool:
    """Whether a `joblib.parallel_config` is active: one that sets n_jobs or another backend.

    joblib's own view (`get_active_backend`): outside any configuration it
    reports its default backend (loky) and no n_jobs.
    """
    if Parallel is None:
        return False
    backend, n_jobs = get_active_backend()
    return n_jobs is not None or not isinstance(backend, BACKENDS[DEFAULT_BACKEND])


def fusable(config: Config, n_outputs: int) -> bool:
    """Whether `mlplab.lab.fused` trains this configuration exactly as fit would."""
    return (isinstance(config.hidden, int) and config.hidden > 0 and n_outputs == 1
            and {config.activation, config.output_activation} <= {"sigmoid", "logistic"}
            and not config.bias and isinstance(get_loss(config.loss), Delta)
            and config.optimizer == "sgd" and config.batch_size is None)


def _fused_shares(block: list[tuple[int, Config]], workers: int
                  ) -> list[list[tuple[int, Config]]]:
    """A fused block in `workers` shares of about equal cost (largest group first)."""
    by_size = population_groups(block)  # one group per hidden size (and init)
    while len(by_size) < workers and max(len(g) for g in by_size) > 1:
        largest = max(by_size, key=len)
        by_size.remove(largest)
        by_size += [largest[:len(largest) // 2], largest[len(largest) // 2:]]
    group_cost, net_cost, unit_cost = _FUSED_COST
    shares: list[list[tuple[int, Config]]] = [[] for _ in range(min(workers, len(by_size)))]
    costs = [0.0] * len(shares)
    for group in sorted(by_size, key=lambda g: -len(g) * (net_cost + unit_cost * g[0][1].hidden)):
        i = int(np.argmin(costs))
        shares[i] += group
        costs[i] += group_cost + len(group) * (net_cost + unit_cost * group[0][1].hidden)
    return shares


def run_task(task: Task, X: np.ndarray, y: np.ndarray, every: int, metric: Metric,
             shuffle_seed: int, keep_weights: bool = False, backend: Any = "numpy"
             ) -> tuple[list[dict[str, Any]], dict[int, list[np.ndarray]]]:
    """Train one task; returns its rows and, if asked, each configuration's final weights.

    backend: the Backend (or name) a population trains on; a Backend pickles by
    its library's name, so a task sent to a worker process carries no module.
    """
    if task.engine == "fused":
        return _train_fused(task.items, X, y, every, metric, shuffle_seed, keep_weights)
    return _train_population(task.items, X, y, every, metric, shuffle_seed, keep_weights,
                             backend)


class _Checkpoints(Callback):
    """Every `every` iterations, each model's error (as PrintError measures it) and loss."""

    def __init__(self, every: int, metric: Metric) -> None:
        self.every, self.metric = every, metric
        self.iterations: list[int] = []
        self.errors: list[np.ndarray] = []
        self.losses: list[np.ndarray] = []

    def on_step_end(self, state: TrainingState) -> None:
        if state.iteration % self.every == 0:
            self.iterations.append(state.iteration)
            self.errors.append(to_numpy(self.metric(state.outputs, state.y_batch)))
            self.losses.append(np.asarray(to_numpy(state.loss)))


def _train_population(items: list[tuple[int, Config]], X: np.ndarray, y: np.ndarray,
                      every: int, metric: Metric, shuffle_seed: int, keep_weights: bool,
                      backend: Any = "numpy"
                      ) -> tuple[list[dict[str, Any]], dict[int, list[np.ndarray]]]:
    """One fit call: the configurations as a population, one model per (seed, alpha)."""
    first = items[0][1]
    loss = get_loss(first.loss)
    net = first.network(X.shape[1], _n_outputs(y, first.loss), [c.seed for _, c in items])
    net.to(backend)
    y = check_targets(net, y, len(X), loss, "sweep")
    optimizer = get_optimizer(first.optimizer, owner="sweep",
                              alpha=np.array([c.alpha for _, c in items]))
    record = _Checkpoints(every, metric)
    # A diverging model's rows hold NaN; it stops no other model, and warns of nothing.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        fit(net, X, y, loss=loss, optimizer=optimizer, iterations=first.iterations,
            batch_size=first.batch_size, seed=shuffle_seed, callbacks=[record], guard=False)
        final = evaluate(net, net.check_input(X, "X", "sweep"), y, loss, [metric])
    rows = _rows(items, record.iterations, record.errors, record.losses,
                 to_numpy(final[metric_name(metric)]), to_numpy(final["loss"]))
    if not keep_weights:
        return rows, {}
    params = [to_numpy(p) for p in net.params]
    return rows, {i: [p[k].copy() for p in params] for k, (i, _) in enumerate(items)}


def _train_fused(items: list[tuple[int, Config]], X: np.ndarray, y: np.ndarray,
                 every: int, metric: Metric, shuffle_seed: int, keep_weights: bool
                 ) -> tuple[list[dict[str, Any]], dict[int, list[np.ndarray]]]:
    """One fused loop over tutorial networks of any hidden sizes (see mlplab.lab.fused)."""
    y = y.reshape(len(y), 1)
    weights = [c.network(X.shape[1], 1, c.seed).get_weights() for _, c in items]
    run = train_fused(weights, [c.alpha for _, c in items], X, y,
                      iterations=items[0][1].iterations, every=every)
    delta = Delta()
    with np.errstate(all="ignore"):
        rows = _rows(items, run.iterations, [metric(out, y) for out in run.outputs],
                     [delta.value(out, y) for out in run.outputs],
                     metric(run.final_outputs, y), delta.value(run.final_outputs, y))
    if not keep_weights:
        return rows, {}
    return rows, {i: w for (i, _), w in zip(items, run.weights, strict=True)}


def _rows(items: list[tuple[int, Config]], iterations: Sequence[int], errors: Sequence[Any],
          losses: Sequence[Any], final_errors: Any, final_losses: Any) -> list[dict[str, Any]]:
    """Checkpoint rows and a final row per configuration; errors[i][k]: checkpoint i, model k."""
    rows = []
    for k, (index, config) in enumerate(items):
        columns = {"config": index, **config.columns()}
        rows += [{**columns, "iteration": it, "error": float(error[k]),
                  "loss_value": float(loss[k]), "final": False}
                 for it, error, loss in zip(iterations, errors, losses, strict=True)]
        rows.append({**columns, "iteration": config.iterations,
                     "error": float(np.ravel(final_errors)[k]),
                     "loss_value": float(np.ravel(final_losses)[k]), "final": True})
    return rows


def _data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sweep's data, checked: both given, or neither for the tutorials' XOR."""
    if X is None and y is None:
        return tutorial_xy("part2")
    if X is None or y is None:
        missing = "X" if X is None else "y"
        raise invalid(missing, "sweep", "given together with the other (or both left out "
                      "for the tutorials' XOR data)", None)
    X = as_float_array("X", "sweep", X, ndim=(2,))
    y = as_float_array("y", "sweep", y, ndim=(1, 2))
    if len(y) != len(X):
        raise invalid("y", "sweep", f"{len(X)} rows, one per row of X", f"{len(y)} rows",
                      raw=True)
    return X, y


def _n_outputs(y: np.ndarray, loss: str) -> int:
    """Output units: y's columns, or one per class for labels with softmax cross-entropy."""
    if y.ndim == 2:
        return y.shape[1]
    if isinstance(get_loss(loss), SoftmaxCrossEntropy):
        return int(y.max()) + 1
    return 1


def _workers(n_jobs: Any, executor: Any = None) -> int:
    """How many workers to plan tasks for: 1 without joblib or an executor."""
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer)
                               or n_jobs == 0 or n_jobs < -1):
        raise invalid("n_jobs", "sweep", "a positive int, -1 for every core, or None", n_jobs)
    if executor is not None:
        if not callable(getattr(executor, "submit", None)):
            raise invalid("executor", "sweep", "a concurrent.futures.Executor or a Dask "
                          "Client (an object with submit())", executor)
        return int(n_jobs) if n_jobs is not None and n_jobs > 0 else _executor_size(executor)
    return 1 if Parallel is None else int(effective_n_jobs(n_jobs))


def _executor_size(executor: Any) -> int:
    """An executor's worker count: a Dask Client's threads, a pool's max_workers, else 1."""
    if callable(getattr(executor, "nthreads", None)):  # distributed.Client
        return max(1, sum(executor.nthreads().values()))
    # ProcessPoolExecutor and ThreadPoolExecutor keep their size only here (no public accessor).
    return max(1, int(getattr(executor, "_max_workers", 1) or 1))

