"""`mlplab sweep` and `mlplab surface`: the lab's experiments as commands."""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from mlplab.activations import ACTIVATIONS
from mlplab.cli.common import listed, number_list, positive_int, save_png
from mlplab.cli.flags import record_sources
from mlplab.data import load as load_data
from mlplab.job import TrainSettings, lr_find_job, read_config
from mlplab.lab.grid import GRADIENT_OPTIMIZERS
from mlplab.losses import LOSSES

AXIS_REGISTRIES = {"activation": ACTIVATIONS, "output_activation": ACTIVATIONS,
                   "optimizer": GRADIENT_OPTIMIZERS, "loss": LOSSES}
SWEEP_AXES = {"alpha": float, "hidden": int, "activation": str, "output_activation": str,
              "optimizer": str, "loss": str, "seed": int, "iterations": int}


def add_sweep(commands: Any) -> None:
    sweep = commands.add_parser("sweep", help="train a grid of configurations, as a table",
                                description="Train every combination of the given values "
                                "(comma-separated) on the tutorial XOR data or --data, as "
                                "populations and worker processes. --config reads the same "
                                "keys from a TOML file (lists for axes); flags win.")
    for axis, kind in SWEEP_AXES.items():
        registry = AXIS_REGISTRIES.get(axis)
        names = f" ({listed(registry)})" if registry is not None else ""
        sweep.add_argument(f"--{axis.replace('_', '-')}", type=number_list(kind),
                           default=None, help=f"values of {axis}, comma-separated{names}")
    sweep.add_argument("--config", help="TOML file with any of these settings")
    sweep.add_argument("--data", help="a built-in data set name or file (default: tutorial XOR)")
    sweep.add_argument("--every", type=positive_int, default=None,
                       help="record the error every N iterations (default 10000)")
    sweep.add_argument("--jobs", type=int, default=None,
                       help="worker processes (-1: all cores; default one)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="train on the workers of this running Dask scheduler "
                       "(needs the cluster extra: pip install 'mlplab[cluster]')")
    sweep.add_argument("--csv", help="write the whole table here")
    sweep.add_argument("--plot", help="heatmap of final error over alpha x hidden size (.png)")
    sweep.set_defaults(run=_sweep)


def _sweep(args: argparse.Namespace) -> str:
    from mlplab.lab.sweep import sweep as run_sweep

    settings = _sweep_settings(args)
    data = settings.pop("data", None)
    X, y = load_data(data) if data else (None, None)
    with _scheduler_client(args.scheduler) as client:
        result = run_sweep(X, y, executor=client, **settings)
    lines = [result.summary()]
    if args.csv:
        lines.append(f"wrote {result.to_csv(args.csv)}")
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        hidden, alphas, grid = result.pivot("hidden", "alpha")
        save_png(plotting.plot_error_heatmap(grid.T, alphas, hidden,
                                              label="final error"), args.plot)
        lines.append(f"wrote {args.plot}")
    return "\n".join(lines)


# How long --scheduler waits for the scheduler to answer.
SCHEDULER_TIMEOUT = "10s"


def _scheduler_client(address: str | None) -> Any:
    """A Dask Client connected to `address` (a context manager), or None for no --scheduler."""
    if address is None:
        return contextlib.nullcontext()
    try:
        from distributed import Client
    except ImportError:
        raise ImportError("--scheduler needs Dask's distributed package (pip install "
                          "'mlplab[cluster]')") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, ValueError, TypeError) as error:
        raise OSError(f"--scheduler {address}: no Dask scheduler could be reached there "
                      f"({error})") from None


# Each key's type in a sweep's TOML file: an axis takes one value or a list of them.
SWEEP_KEYS = {**{axis: kind | list[kind] for axis, kind in SWEEP_AXES.items()},
              "data": str, "every": int, "n_jobs": int, "batch_size": int | None | list[int],
              "bias": bool | list[bool], "init": str | list[str], "metric": str}


def _sweep_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Sweep keyword arguments from --config (TOML) overridden by flags."""
    settings = read_config(args.config, "mlplab sweep", SWEEP_KEYS) if args.config else {}
    flags = {axis: getattr(args, axis) for axis in SWEEP_AXES}
    flags.update(data=args.data, every=args.every, n_jobs=args.jobs)
    flags = {k: v for k, v in flags.items() if v is not None}
    record_sources(args, set(settings) - set(flags), "config", args.config)
    settings.update(flags)
    return settings


def add_surface(commands: Any) -> None:
    surface = commands.add_parser("surface", help="the error surface over two weights, as PNG",
                                  description="Train the tutorial network, then draw the loss "
                                  "over two chosen weights (contour and 3-D, with the "
                                  "training path) and the 1-D slice of the first weight.")
    surface.add_argument("--weights", type=_weight_pair, default=None,
                         help='two weights as "layer,W,i,j;layer,W,i,j" (default '
                         '"0,W,0,0;2,W,1,0")')
    surface.add_argument("--hidden", type=positive_int, default=4,
                         help="hidden units of the 3-H-1 network (default 4)")
    surface.add_argument("--alpha", type=float, default=10.0,
                         help="step size of its training (default 10)")
    surface.add_argument("--iterations", type=positive_int, default=60000,
                         help="training iterations (default 60000)")
    surface.add_argument("--targets", type=number_list(float), default=[0, 1, 1, 0],
                         help="the four targets (default 0,1,1,0: XOR)")
    surface.add_argument("--grid", type=positive_int, default=61,
                         help="points per axis (default 61)")
    surface.add_argument("--out", default="surface.png", help="surface PNG (surface.png)")
    surface.add_argument("--slice", default="slice.png", help="slice PNG (slice.png)")
    surface.set_defaults(run=_surface)


def _weight_pair(text: str) -> list[tuple[Any, ...]]:
    try:
        pairs = [tuple(int(p) if p.strip().lstrip("-").isdigit() else p.strip()
                       for p in part.split(",")) for part in text.split(";")]
    except ValueError:
        pairs = []
    if len(pairs) != 2 or any(len(p) != 4 for p in pairs):
        raise argparse.ArgumentTypeError(f'expected "layer,W,i,j;layer,W,i,j", got {text!r}')
    return pairs


def _surface(args: argparse.Namespace) -> str:
    from mlplab import plotting  # needs the plot extra
    from mlplab.lab.landscape import DEFAULT_WEIGHTS, tutorial_landscape

    landscape = tutorial_landscape(weights=args.weights or DEFAULT_WEIGHTS, hidden=args.hidden,
                                   alpha=args.alpha, iterations=args.iterations,
                                   targets=args.targets, grid=args.grid)
    save_png(plotting.plot_error_surface(landscape.surface), args.out)
    save_png(plotting.plot_error_slice(landscape.slice, iterations=landscape.iterations),
              args.slice)
    return f"wrote {args.out} and {args.slice}"


def add_lr_find(commands: Any) -> None:
    finder = commands.add_parser(
        "lr-find", help="try many learning rates at once and suggest one",
        description="Train one copy of the network per learning rate, as one population from "
        "the same start on the same batches, and print the final loss per rate and the "
        "suggested one (the lowest). The network and data are those `mlplab train` would use.")
    finder.add_argument("--data", required=True, help="data set name or file path")
    finder.add_argument("--target", help="target column of a file (name or index)")
    finder.add_argument("--layers", type=number_list(int), default=[64],
                        help="hidden layer sizes, comma-separated (default 64)")
    finder.add_argument("--activation", default="relu",
                        help=f"hidden activation (default relu): {listed(ACTIVATIONS)}")
    finder.add_argument("--optimizer", default="sgd", help="optimizer (default sgd): "
                        f"{listed(GRADIENT_OPTIMIZERS)}")
    finder.add_argument("--alphas", type=number_list(float), default=None,
                        help="learning rates to try (default 13 from 1e-4 to 10)")
    finder.add_argument("--steps", type=positive_int, default=200,
                        help="training steps (mini-batches) per rate (default 200)")
    finder.add_argument("--batch-size", type=positive_int, default=32, help="default 32")
    finder.add_argument("--seed", type=int, default=0,
                        help="initial weights and batches (default 0)")
    finder.add_argument("--plot", help="final loss per rate and the curves (.png)")
    finder.set_defaults(run=_lr_find)


def _lr_find(args: argparse.Namespace) -> str:
    settings = TrainSettings(data=args.data, target=args.target, layers=args.layers,
                             activation=args.activation, optimizer=args.optimizer,
                             batch_size=args.batch_size, seed=args.seed)
    result = lr_find_job(settings, alphas=args.alphas, steps=args.steps)
    lines = [result.summary(), f"suggested alpha: {result.suggestion:.4g} "
             f"(mlplab train {args.data} --optimizer {args.optimizer} "
             f"--learning-rate {result.suggestion:.4g})"]
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        save_png(plotting.plot_lr_find(result), args.plot)
        lines.append(f"wrote {args.plot}")
    return "\n".join(lines)
