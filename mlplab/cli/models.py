"""`mlplab train`, `predict`, `evaluate` and `export`: models on the user's data."""

from __future__ import annotations

import argparse
import shlex
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from mlplab import job
from mlplab._checks import invalid
from mlplab.activations import ACTIVATIONS
from mlplab.cli.common import (
    RunInterruptedError,
    listed,
    number_list,
    positive_int,
    require,
    save_png,
)
from mlplab.cli.flags import record_sources
from mlplab.io import ModelFileError
from mlplab.io import load as load_model
from mlplab.job import read_config
from mlplab.losses import LOSSES
from mlplab.optim import OPTIMIZERS


def add_train(commands: Any) -> None:
    solvers = ", ".join(OPTIMIZERS.names(full_batch=True))
    train = commands.add_parser(
        "train", help="train an MLP on a data set or file",
        description="Train an MLP on a built-in data set (digits, iris, moons, mnist1d, ...) "
        "or a CSV/NPY/NPZ file. Flags override the --config TOML file, whose keys are the "
        "long flag names with underscores. Each epoch's checkpoint records the run, so "
        "`mlplab train --resume CHECKPOINT` alone continues it.")
    train.add_argument("data", nargs="?", default=None, metavar="DATA",
                       help="data set name or file path (left out with --resume)")
    train.add_argument("--config", help="TOML file with any of the settings below")
    train.add_argument("--target", help="target column of a file (name or index)")
    train.add_argument("--task", choices=job.TASKS, default=None)
    train.add_argument("--layers", type=number_list(int), default=None,
                       help="hidden layer sizes, comma-separated (default 64)")
    train.add_argument("--activation", default=None,
                       help=f"hidden activation (default relu): {listed(ACTIVATIONS)}")
    train.add_argument("--optimizer", default=None,
                       help=f"optimizer (default adam): {listed(OPTIMIZERS)}; the full-batch "
                       f"solvers ({solvers}) train on all rows at once")
    train.add_argument("--learning-rate", type=float, default=None,
                       help="default 0.001; not used by the full-batch solvers")
    train.add_argument("--epochs", type=positive_int, default=None,
                       help=f"passes over the data (default 20); for {solvers}: the most "
                       "iterations")
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help="rows per step (default 32); leave it out with a full-batch solver")
    train.add_argument("--validation-split", type=float, default=None,
                       help="fraction of the rows held out to report val_loss each epoch")
    train.add_argument("--loss", default=None, help="loss (default: softmax_crossentropy for "
                       f"classification, mse for regression): {listed(LOSSES)}")
    train.add_argument("--weight-decay", type=float, default=None,
                       help="L2 penalty: weight_decay * W added to every gradient (adamw and "
                       "sgd take it as their own argument; default none, adamw 0.01)")
    train.add_argument("--clip-norm", type=float, default=None,
                       help="rescale each step's gradient to this global norm at most")
    train.add_argument("--early-stopping", action="store_true", default=None,
                       help="stop when val_loss (the training loss without "
                       "--validation-split) stops improving, and keep the best weights")
    train.add_argument("--patience", type=int, default=None, help="epochs without "
                       f"improvement before --early-stopping stops (default "
                       f"{job.DEFAULT_PATIENCE})")
    train.add_argument("--dropconnect", type=float, default=None,
                       help="DropConnect rate of every weight layer, in [0, 1) (default 0)")
    train.add_argument("--dropout", type=float, default=None,
                       help="dropout rate after every hidden layer, in [0, 1) (default 0)")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--no-standardize", dest="standardize", action="store_false",
                       default=None, help="do not standardize the inputs")
    train.add_argument("--save", help="write the trained model here (.npz, or .safetensors)")
    train.add_argument("--checkpoint", help="checkpoint file (default: SAVE.ckpt.npz)")
    train.add_argument("--resume", metavar="CHECKPOINT",
                       help="continue the run recorded in this checkpoint (DATA and flags "
                       "come from it; only --epochs, --save, --checkpoint, --plot and "
                       "--no-progress may differ)")
    train.add_argument("--plot", help="write the loss curves here (.png)")
    train.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                       help="no progress bar (there is none when the output is not a "
                       "terminal; plain lines when tqdm is missing)")
    train.set_defaults(run=_train)


SETTINGS = [f.name for f in fields(job.TrainSettings)]


def _train(args: argparse.Namespace) -> str:
    settings = _train_settings(args)
    args.settings_used = asdict(settings)  # for messages that name a setting's value
    if settings.plot:
        require("matplotlib", "plot", "--plot")
    started = time.time()
    try:
        _, history, metadata = job.train_job(settings)
    except KeyboardInterrupt:
        raise RunInterruptedError(_interrupted(settings, started)) from None
    lines = [f"trained a {metadata['task']} MLP for {len(history)} epochs",
             "  " + ", ".join(f"{name} {np.mean(values[-1]):.4g}"
                              for name, values in history.history.items())]
    if settings.save:
        lines.append(f"  saved to {settings.save}")
    if settings.plot:
        from mlplab import plotting  # needs the plot extra

        save_png(plotting.plot_loss_curves(history), settings.plot)
        lines.append(f"  loss curves in {settings.plot}")
    return "\n".join(lines)


def _train_settings(args: argparse.Namespace) -> job.TrainSettings:
    """The run's settings: --config's keys, then the flags; a --resume checkpoint's records."""
    flags = {key: getattr(args, key) for key in SETTINGS if getattr(args, key, None) is not None}
    values: dict[str, Any] = {}
    if args.config:
        config = read_config(args.config, job.OWNER, job.TrainSettings.types())
        record_sources(args, set(config) - set(flags), "config", args.config)
        values.update(config)
    values.update(flags)
    if values.get("resume"):
        values = _resumed(args, values)
    optimizer = values.get("optimizer", job.TrainSettings.optimizer)
    if values.get("batch_size") is not None and job.full_batch(optimizer):
        raise invalid("batch_size", job.OWNER, f"left out with the full-batch solver "
                      f"{optimizer!r}, which trains on all rows at once", values["batch_size"])
    return job.TrainSettings(**values)


def _resumed(args: argparse.Namespace, wanted: dict[str, Any]) -> dict[str, Any]:
    """The settings recorded in the --resume checkpoint, with the changes a resume may make.

    A setting given (flag or --config key) that differs from the recorded one is
    refused, naming each; a checkpoint that records no settings (written by
    `fit` from Python) leaves the settings as given.
    """
    path = wanted["resume"]
    try:
        saved = job.recorded_settings(path)
    except (ModelFileError, FileNotFoundError) as error:
        raise type(error)(f"--resume: {error}") from None
    if saved is None:
        return wanted
    saved = {**job.recorded(job.TrainSettings()), **saved}  # fields newer than the file
    ours = job.recorded(wanted)
    differ = [key for key, value in ours.items()
              if key not in job.RESUME_MAY_CHANGE and value != saved[key]]
    if differ:
        given = ", ".join(f"{_written(args, key)} (recorded {saved[key]!r}, given "
                          f"{ours[key]!r})" for key in differ)
        may = ", ".join(_written(args, key) for key in job.RESUME_MAY_CHANGE if key != "resume")
        verb = "differs" if len(differ) == 1 else "differ"
        raise ValueError(f"--resume {path} continues the run recorded there, but {given} "
                         f"{verb} from it; leave them out (a resumed run may change only "
                         f"{may})")
    record_sources(args, set(saved) - set(wanted), "checkpoint", path)
    changes = {key: wanted[key] for key in job.RESUME_MAY_CHANGE if key in wanted}
    return {**saved, **changes, "resume": path}


def _written(args: argparse.Namespace, key: str) -> str:
    """How the user writes the setting `key`: its flag, or its key in --config."""
    source = getattr(args, "sources", {}).get(key)
    if source is not None and source[0] == "config":
        return f"{key!r} in {source[1]}"
    flags = {"data": "DATA", "standardize": "--no-standardize", "progress": "--no-progress"}
    return flags.get(key, "--" + key.replace("_", "-"))


def _interrupted(settings: job.TrainSettings, started: float) -> str:
    """What Ctrl-C leaves behind, and the command that continues the run from it."""
    where = job.checkpoint_path(settings)
    if where is None:
        why = ("a full-batch solver keeps no checkpoint" if job.full_batch(settings.optimizer)
               else "give --save or --checkpoint to keep progress")
        return f"interrupted; nothing was saved ({why})"
    path = Path(where)
    resumed_from_it = settings.resume is not None and Path(settings.resume).resolve() == (
        path.resolve())
    if not path.is_file() or (path.stat().st_mtime < started and not resumed_from_it):
        return (f"interrupted before the first epoch ended; nothing was saved yet "
                f"(checkpoints go to {where})")
    return (f"interrupted; the last finished epoch is saved in {where}. Continue with: "
            f"mlplab train --resume {shlex.quote(where)}")


def add_predict_and_evaluate(commands: Any) -> None:
    predict = commands.add_parser("predict", help="predict with a saved model")
    predict.add_argument("model", metavar="MODEL")
    predict.add_argument("data", metavar="DATA")
    predict.add_argument("--target", help="target column to leave out of a file's inputs")
    predict.add_argument("--output", help="write predictions here (.csv) instead of printing")
    predict.set_defaults(run=_predict)
    evaluate = commands.add_parser("evaluate", help="loss and metric of a saved model")
    evaluate.add_argument("model", metavar="MODEL")
    evaluate.add_argument("data", metavar="DATA")
    evaluate.add_argument("--target", help="target column of a file")
    evaluate.set_defaults(run=_evaluate)
    export = commands.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model", metavar="MODEL")
    export.add_argument("output", metavar="OUTPUT", help="the .onnx file to write")
    export.set_defaults(run=_export)


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
