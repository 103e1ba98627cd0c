"""The `mlplab` command line: argument parsing only; the work is done by the library.

    mlplab reproduce part1 [--iterations N] [--targets 0,0,1,1] [--directions] [--json]
    mlplab reproduce part2 [--hidden 4,8] [--alphas 0.1,1,10] [--targets 0,1,1,0] ...
    mlplab train DATA [--target COL] [--layers 64,32] [--epochs 20] ... [--config FILE.toml]
    mlplab predict MODEL DATA [--output FILE]
    mlplab evaluate MODEL DATA
    mlplab export MODEL OUT.onnx
    mlplab sweep [--alpha 0.1,1,10] [--hidden 4,8] [--seed 1,2,3] ... [--csv F] [--plot F]
    mlplab surface [--weights "0,W,0,0;2,W,1,0"] [--out surface.png] [--slice slice.png]
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlplab import job
from mlplab.data import load as load_data
from mlplab.io import ModelFileError
from mlplab.io import load as load_model
from mlplab.lab import tutorials


def _number_list(cast: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type for comma-separated numbers, e.g. "0.1,1,10"."""

    def parse(text: str) -> list[Any]:
        try:
            values = [cast(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {cast.__name__}s, got {text!r}") from None
        if not values:
            raise argparse.ArgumentTypeError(f"expected at least one {cast.__name__}")
        return values

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlplab", description="Multi-layer perceptrons "
                                     "from scratch: the tutorials reproduced, and a lab.")
    commands = parser.add_subparsers(dest="command", required=True)
    reproduce = commands.add_parser("reproduce", help="rerun a tutorial and print its output",
                                    description="Rerun a tutorial through mlplab's API and "
                                    "print its output in the tutorial's own format.")
    reproduce.add_argument("tutorial", choices=list(REPRODUCTIONS),
                           help="part1, part2 (the alpha sweep), part2-hidden (hidden sizes "
                           "x alphas), part2-directions (with direction changes), notebook "
                           "(one layer against two on regression data)")
    reproduce.add_argument("--hidden", type=_number_list(int), default=None,
                           help="hidden sizes, comma-separated (part2: 4; part2-hidden: "
                           "4,8,...,256)")
    reproduce.add_argument("--alphas", type=_number_list(float), default=None,
                           help="step sizes, comma-separated (part2 default "
                           "0.001,...,1000; part1 default 1)")
    reproduce.add_argument("--targets", type=_number_list(float), default=None,
                           help="the four targets (default 0,0,1,1 for part1, 0,1,1,0 for part2)")
    reproduce.add_argument("--iterations", type=_positive_int, default=None,
                           help="training iterations (default: the tutorial's)")
    reproduce.add_argument("--every", type=_positive_int, default=10000,
                           help="report the error every N iterations (default 10000)")
    reproduce.add_argument("--directions", action="store_true",
                           help="also print final weights and direction-change counts")
    reproduce.add_argument("--json", action="store_true",
                           help="print one JSON object with every run instead of text")
    reproduce.add_argument("--plot", help="also write the experiment's picture here (.png)")
    reproduce.set_defaults(run=_reproduce)
    _add_train(commands)
    _add_predict_and_evaluate(commands)
    return parser


def _add_train(commands: Any) -> None:
    train = commands.add_parser("train", help="train an MLP on a data set or file",
                                description="Train an MLP on a built-in data set (digits, "
                                "iris, moons, mnist1d, ...) or a CSV/NPY/NPZ file. Flags "
                                "override the --config TOML file, whose keys are the long "
                                "flag names with underscores.")
    train.add_argument("data", nargs="?", default=None, help="data set name or file path")
    train.add_argument("--config", help="TOML file with any of the settings below")
    train.add_argument("--target", help="target column of a file (name or index)")
    train.add_argument("--task", choices=job.TASKS, default=None)
    train.add_argument("--layers", type=_number_list(int), default=None,
                       help="hidden layer sizes, comma-separated (default 64)")
    train.add_argument("--activation", default=None, help="hidden activation (default relu)")
    train.add_argument("--optimizer", default=None, help="optimizer name (default adam)")
    train.add_argument("--learning-rate", type=float, default=None, help="default 0.001")
    train.add_argument("--epochs", type=_positive_int, default=None, help="default 20")
    train.add_argument("--batch-size", type=_positive_int, default=None, help="default 32")
    train.add_argument("--validation-split", type=float, default=None)
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--no-standardize", dest="standardize", action="store_false",
                       default=None, help="do not standardize the inputs")
    train.add_argument("--save", help="write the trained model here (.npz)")
    train.add_argument("--checkpoint", help="checkpoint file (default: SAVE.ckpt.npz)")
    train.add_argument("--resume", help="continue from this checkpoint")
    train.add_argument("--plot", help="write the loss curves here (.png)")
    train.set_defaults(run=_train)


SWEEP_AXES = {"alpha": float, "hidden": int, "activation": str, "output_activation": str,
              "optimizer": str, "loss": str, "seed": int, "iterations": int}


def _add_sweep(commands: Any) -> None:
    sweep = commands.add_parser("sweep", help="train a grid of configurations, as a table",
                                description="Train every combination of the given values "
                                "(comma-separated) on the tutorial XOR data or --data, as "
                                "populations and worker processes. --config reads the same "
                                "keys from a TOML file (lists for axes); flags win.")
    for axis, kind in SWEEP_AXES.items():
        sweep.add_argument(f"--{axis.replace('_', '-')}", type=_number_list(kind),
                           default=None, help=f"values of {axis}, comma-separated")
    sweep.add_argument("--config", help="TOML file with any of these settings")
    sweep.add_argument("--data", help="a built-in data set name or file (default: tutorial XOR)")
    sweep.add_argument("--every", type=_positive_int, default=None,
                       help="record the error every N iterations (default 10000)")
    sweep.add_argument("--jobs", type=int, default=None, help="worker processes (-1: all cores)")
    sweep.add_argument("--csv", help="write the whole table here")
    sweep.add_argument("--plot", help="heatmap of final error over alpha x hidden size (.png)")
    sweep.set_defaults(run=_sweep)


def _sweep(args: argparse.Namespace) -> str:
    from mlplab.lab.sweep import sweep as run_sweep

    settings = _sweep_settings(args)
    data = settings.pop("data", None)
    X, y = load_data(data) if data else (None, None)
    result = run_sweep(X, y, **settings)
    lines = [result.summary()]
    if args.csv:
        lines.append(f"wrote {result.to_csv(args.csv)}")
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        hidden, alphas, grid = result.pivot("hidden", "alpha")
        _save_png(plotting.plot_error_heatmap(grid.T, alphas, hidden,
                                              label="final error"), args.plot)
        lines.append(f"wrote {args.plot}")
    return "\n".join(lines)


def _sweep_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Sweep keyword arguments from --config (TOML) overridden by flags."""
    settings: dict[str, Any] = {}
    if args.config:
        try:
            settings = tomllib.loads(Path(args.config).read_text())
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"The 'config' parameter of mlplab sweep must be a readable TOML "
                             f"file. Got {args.config} ({error}) instead.") from None
    flags = {axis: getattr(args, axis) for axis in SWEEP_AXES}
    flags.update(data=args.data, every=args.every, n_jobs=args.jobs)
    settings.update({k: v for k, v in flags.items() if v is not None})
    known = {*SWEEP_AXES, "data", "every", "n_jobs", "batch_size", "bias", "init", "metric"}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ValueError(f"The 'config' parameter of mlplab sweep must use keys among "
                         f"{sorted(known)}. Got unknown keys {unknown} instead.")
    return settings


def _add_surface(commands: Any) -> None:
    surface = commands.add_parser("surface", help="the error surface over two weights, as PNG",
                                  description="Train the tutorial network, then draw the loss "
                                  "over two chosen weights (contour and 3-D, with the "
                                  "training path) and the 1-D slice of the first weight.")
    surface.add_argument("--weights", type=_weight_pair, default=None,
                         help='two weights as "layer,W,i,j;layer,W,i,j" (default '
                         '"0,W,0,0;2,W,1,0")')
    surface.add_argument("--hidden", type=_positive_int, default=4)
    surface.add_argument("--alpha", type=float, default=10.0)
    surface.add_argument("--iterations", type=_positive_int, default=60000)
    surface.add_argument("--targets", type=_number_list(float), default=[0, 1, 1, 0])
    surface.add_argument("--grid", type=_positive_int, default=61, help="points per axis")
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
    _save_png(plotting.plot_error_surface(landscape.surface), args.out)
    _save_png(plotting.plot_error_slice(landscape.slice, iterations=landscape.iterations),
              args.slice)
    return f"wrote {args.out} and {args.slice}"


def _save_png(figure: Any, path: str) -> None:
    """Write a figure as PNG atomically (a half-written picture never replaces a good one)."""
    from pathlib import Path

    from mlplab.io import write_atomically

    write_atomically(Path(path), lambda file: figure.savefig(file, format="png", dpi=120))


def _add_predict_and_evaluate(commands: Any) -> None:
    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("--target", help="target column to leave out of a file's inputs")
    predict.add_argument("--output", help="write predictions here (.csv) instead of printing")
    predict.set_defaults(run=_predict)
    evaluate = commands.add_parser("evaluate", help="loss and metric of a saved model")
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--target", help="target column of a file")
    evaluate.set_defaults(run=_evaluate)
    _add_surface(commands)
    _add_sweep(commands)
    export = commands.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model")
    export.add_argument("output", help="the .onnx file to write")
    export.set_defaults(run=_export)


def _train(args: argparse.Namespace) -> str:
    keys = ("data", "target", "task", "layers", "activation", "optimizer", "learning_rate",
            "epochs", "batch_size", "validation_split", "seed", "standardize", "save",
            "checkpoint", "resume")
    given = {key: getattr(args, key) for key in keys}
    if args.config:
        settings = job.TrainSettings.from_toml(args.config, **given)
    else:
        settings = job.TrainSettings(**{k: v for k, v in given.items() if v is not None})
    try:
        _, history, metadata = job.train_job(settings)
    except KeyboardInterrupt:
        where = settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)
        advice = (f"the last epoch's checkpoint is {where}: continue with --resume {where}"
                  if where else "nothing was saved (give --save or --checkpoint to keep "
                  "progress)")
        raise RunInterruptedError(f"interrupted; {advice}") from None
    lines = [f"trained a {metadata['task']} MLP for {len(history)} epochs",
             "  " + ", ".join(f"{name} {np.mean(values[-1]):.4g}"
                              for name, values in history.history.items())]
    if settings.save:
        lines.append(f"  saved to {settings.save}")
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        _save_png(plotting.plot_loss_curves(history), args.plot)
        lines.append(f"  loss curves in {args.plot}")
    return "\n".join(lines)


def _predict(args: argparse.Namespace) -> str:
    predictions = job.predict_job(args.model, args.data, args.target)
    if args.output:
        np.savetxt(args.output, np.atleast_1d(predictions), delimiter=",", fmt="%.10g")
        return f"wrote {len(predictions)} predictions to {args.output}"
    return "\n".join(str(p) for p in np.atleast_1d(predictions).tolist())


def _evaluate(args: argparse.Namespace) -> str:
    results = job.evaluate_job(args.model, args.data, args.target)
    return ", ".join(f"{name} {np.mean(value):.6g}" for name, value in results.items())


def _export(args: argparse.Namespace) -> str:
    from mlplab.export import export_onnx  # needs the onnx extra

    return f"wrote {export_onnx(load_model(args.model), args.output)}"


class RunInterruptedError(Exception):
    """Ctrl-C during a command, after its clean-up."""


def _reproduce(args: argparse.Namespace) -> str:
    if args.targets is not None and len(args.targets) != 4:
        raise ValueError(f"--targets needs four numbers, one per tutorial sample; "
                         f"got {len(args.targets)}")
    runs, text = REPRODUCTIONS[args.tutorial](args)
    if args.json:
        return json.dumps({"runs": [run.to_json() for run in runs]})
    return text


def _part1(args: argparse.Namespace) -> tuple[list, str]:
    alphas = args.alphas or [1.0]
    if len(alphas) != 1:
        raise ValueError("part1 trains with one alpha; give --alphas a single value")
    runs = tutorials.part1(iterations=args.iterations, targets=args.targets or (0, 0, 1, 1),
                           alpha=alphas[0], every=args.every)
    return runs, tutorials.format_part1(runs, directions=args.directions)


def _part2_runs(args: argparse.Namespace, hidden: Sequence[int]) -> list:
    return tutorials.part2(hidden_sizes=args.hidden or hidden,
                           alphas=args.alphas or tutorials.ALPHAS,
                           targets=args.targets or (0, 1, 1, 0),
                           iterations=args.iterations or 60000, every=args.every)


def _part2(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, [4])
    return runs, tutorials.format_part2(runs, directions=args.directions)


def _part2_hidden(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, tutorials.HIDDEN_SIZES)
    text = tutorials.format_part2(runs, directions=args.directions)
    text += "\n\n" + tutorials.format_error_table(runs)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        rows = [{"alpha": r.alpha, "hidden": r.hidden, "error": r.errors[-1]} for r in runs]
        _save_png(plotting.plot_error_heatmap(
            rows, label=f"mean |error| at iteration {runs[0].every * (len(runs[0].errors) - 1)}",
            title="Tutorial part 2: error over alpha and hidden size"), args.plot)
        text += f"\nwrote {args.plot}"
    return runs, text


def _part2_directions(args: argparse.Namespace) -> tuple[list, str]:
    runs = _part2_runs(args, [4])
    text = tutorials.format_part2(runs, directions=True)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        stem = args.plot.removesuffix(".png")
        for run in runs:
            path = f"{stem}_alpha{run.alpha:g}_hidden{run.hidden}.png"
            _save_png(plotting.plot_direction_changes(run.direction_changes,
                                                      iterations=run.iterations), path)
            text += f"\nwrote {path}"
    return runs, text


def _notebook(args: argparse.Namespace) -> tuple[list, str]:
    from mlplab.lab import notebook

    runs = notebook.compare(epochs=args.iterations or 3000,
                            learning_rates=args.alphas or notebook.LEARNING_RATES)
    text = notebook.format_comparison(runs) + "\n\nLinear output, learning rate 1:\n"
    text += notebook.divergence_lesson(epochs=args.iterations or 3000)
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        _save_png(plotting.plot_loss_curves(notebook.curves(runs), loss="mse",
                                            title="One layer against two: MSE over training"),
                  args.plot)
        text += f"\nwrote {args.plot}"
    return runs, text


REPRODUCTIONS = {"part1": _part1, "part2": _part2, "part2-hidden": _part2_hidden,
                 "part2-directions": _part2_directions, "notebook": _notebook}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit status (0 ok, 2 for a user mistake)."""
    args = build_parser().parse_args(argv)
    try:
        print(args.run(args))
    except (ValueError, TypeError, ModelFileError, FileNotFoundError, ImportError) as error:
        print(f"mlplab {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except RunInterruptedError as interrupted:
        print(f"mlplab {args.command}: {interrupted}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`mlplab ... | head`): not an error
        sys.stderr.close()
    return 0


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())
