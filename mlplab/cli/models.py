"""`mlplab train`, `predict`, `evaluate` and `export`: models on the user's data."""

from __future__ import annotations

import argparse
import csv
import io
import shlex
import sys
import time
import warnings
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
from mlplab.io import ModelFileError, load_with_metadata
from mlplab.io.atomic import write_atomically
from mlplab.job import read_config
from mlplab.losses import LOSSES
from mlplab.optim import OPTIMIZERS


def add_train(commands: Any) -> None:
    solvers = ", ".join(OPTIMIZERS.names(full_batch=True))
    train = commands.add_parser(
        "train", help="train an MLP on a data set or file",
        description="Train an MLP on a built-in data set (digits, iris, moons, mnist1d, ...) "
        "or a table: CSV, TSV, NPY, NPZ, or Parquet with pyarrow. Text labels become classes, "
        "text columns are one-hot encoded, missing values filled, constant columns dropped; "
        "training stops when the validation loss stops improving. Flags override the "
        "--config TOML file, whose keys are the long flag names with underscores. Each "
        "epoch's checkpoint records the run, so `mlplab train --resume CHECKPOINT` alone "
        "continues it.")
    train.add_argument("data", nargs="?", default=None, metavar="DATA",
                       help="data set name or file path (left out with --resume)")
    train.add_argument("--config", help="TOML file with any of the settings below")
    train.add_argument("--target", help="target column of a file, by name or index "
                       "(default: the last column)")
    train.add_argument("--drop", type=number_list(str), default=None,
                       help="columns not to use, comma-separated (IDs, names)")
    train.add_argument("--delimiter", help="field separator of a text file (default: tab "
                       "for .tsv, else sniffed: comma, semicolon, tab or |)")
    train.add_argument("--impute", choices=job.IMPUTE, default=None,
                       help="missing values: median (numbers) and most frequent (text), the "
                       "default; none refuses them")
    train.add_argument("--test-split", type=float, default=None,
                       help="fraction of the rows held out before anything is fitted, and "
                       "scored after training (e.g. 0.2)")
    train.add_argument("--task", choices=job.TASKS, default=None,
                       help="default auto: classes for text labels and few distinct whole "
                       "numbers, else a regression")
    train.add_argument("--layers", type=number_list(int), default=None,
                       help="hidden layer sizes, comma-separated (default 256)")
    train.add_argument("--ensemble", type=positive_int, default=None,
                       help=f"networks trained side by side from different random starts, "
                       f"their predictions averaged (default {job.ENSEMBLE} for tables of at "
                       f"most {job.ENSEMBLE_CELLS:,} cells, else 1; 1 for a single network)")
    train.add_argument("--activation", default=None,
                       help=f"hidden activation (default relu): {listed(ACTIVATIONS)}")
    train.add_argument("--optimizer", default=None,
                       help=f"optimizer (default adam): {listed(OPTIMIZERS)}; the full-batch "
                       f"solvers ({solvers}) train on all rows at once")
    train.add_argument("--learning-rate", type=float, default=None,
                       help="default 0.001; not used by the full-batch solvers")
    train.add_argument("--epochs", type=positive_int, default=None,
                       help=f"the most passes over the data (default 1000; early stopping "
                       f"ends runs sooner); for {solvers}: the most iterations")
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help="rows per step (default 32, less for small data: min(32, max(8, "
                       "rows // 10))); leave it out with a full-batch solver")
    train.add_argument("--validation-split", type=float, default=None,
                       help="fraction of the training rows held out to report val_loss each "
                       f"epoch (default {job.VALIDATION_SPLIT} with early stopping, else none; "
                       "each network of an ensemble holds out its own)")
    train.add_argument("--loss", default=None, help="loss (default: softmax_crossentropy for "
                       f"classification, mse for regression): {listed(LOSSES)}")
    train.add_argument("--weight-decay", type=float, default=None,
                       help="L2 penalty: weight_decay * W added to every gradient (adamw and "
                       f"sgd take it as their own argument; default {job.PRIOR_STRENGTH:g} / "
                       "rows trained on, 0 for none)")
    train.add_argument("--clip-norm", type=float, default=None,
                       help="rescale each step's gradient to this global norm at most")
    train.add_argument("--early-stopping", action="store_true", default=None,
                       help="stop when val_loss stops improving, then refit on all rows for "
                       "the steps to the best epoch (the default; --no-refit keeps the best "
                       "weights)")
    train.add_argument("--no-early-stopping", dest="early_stopping", action="store_false",
                       default=None, help="train for all --epochs")
    train.add_argument("--no-refit", dest="refit", action="store_false", default=None,
                       help="keep the early-stopped network instead of training a fresh one "
                       "on all training rows (validation rows too) for as many steps")
    train.add_argument("--patience", type=int, default=None, help="epochs without "
                       f"improvement before early stopping stops (default "
                       f"{job.DEFAULT_PATIENCE})")
    train.add_argument("--dropconnect", type=float, default=None,
                       help="DropConnect rate of every weight layer, in [0, 1) (default 0)")
    train.add_argument("--dropout", type=float, default=None,
                       help="dropout rate after every hidden layer, in [0, 1) (default 0)")
    train.add_argument("--seed", type=int, default=None,
                       help="seeds the test split, the initial weights, the batches and a "
                       "generated data set (default 0)")
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
        with warnings.catch_warnings():  # the summary says it in its own words
            warnings.simplefilter("ignore", job.NotConverged)
            net, history, metadata = job.train_job(settings, announce=_announce)
    except KeyboardInterrupt:
        raise RunInterruptedError(_interrupted(settings, started)) from None
    test = ["test: " + job.scores_text(metadata["test"])] if "test" in metadata else []
    members = net.population[0] if net.population else 1
    lines = [metadata["trained"], ("last epoch" + (f" (the mean of {members} networks)" if
                                                   members > 1 else "") + ": ") + ", ".join(
        f"{name} {np.mean(values[-1]):.4g}" for name, values in history.history.items()), *test]
    if settings.save:
        lines.append(f"saved to {settings.save}")
    if settings.plot:
        from mlplab import plotting  # needs the plot extra

        save_png(plotting.plot_loss_curves(history), settings.plot)
        lines.append(f"loss curves in {settings.plot}")
    return "\n".join(lines)


def _announce(text: str) -> None:
    """What was prepared and the network, shown before the epochs (and their progress bar)."""
    print(text, flush=True)


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
    saved = {**job.recorded(job.TrainSettings()), **job.BEFORE_RECORDED,
             **saved}  # fields newer than the file: what runs did before them
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
    predict = commands.add_parser("predict", help="predict with a saved model",
                                  description="Predict every row of a table; its columns are "
                                  "matched to the model's by name (the target column may be "
                                  "there or not). Writes CSV with a header.")
    predict.add_argument("model", metavar="MODEL", help="a model file that mlplab train saved")
    predict.add_argument("data", metavar="DATA", help="the rows to predict: a table file "
                         "(CSV, TSV, NPY, NPZ, Parquet) or a built-in data set name")
    predict.add_argument("--target", help="target column to leave out (only for model files "
                         "without column names; others know their target)")
    predict.add_argument("--proba", action="store_true",
                         help="add one probability column per class (classifiers)")
    predict.add_argument("--delimiter", help="field separator of a text file")
    predict.add_argument("--output", help="write predictions here (.csv) instead of printing")
    predict.set_defaults(run=_predict)
    evaluate = commands.add_parser("evaluate", help="scores of a saved model on labelled data",
                                   description="Score a saved model on labelled rows: accuracy "
                                   "and cross-entropy for a classifier, MAE and RMSE for a "
                                   "regression. Columns are matched by name; the target column "
                                   "must be there.")
    evaluate.add_argument("model", metavar="MODEL", help="a model file that mlplab train saved")
    evaluate.add_argument("data", metavar="DATA", help="labelled rows: a table file (CSV, TSV, "
                          "NPY, NPZ, Parquet) or a built-in data set name")
    evaluate.add_argument("--target", help="target column (only for model files without "
                          "column names)")
    evaluate.add_argument("--delimiter", help="field separator of a text file")
    evaluate.set_defaults(run=_evaluate)
    export = commands.add_parser("export", help="export a saved model to ONNX, with its "
                                 "preprocessing",
                                 description="Write a saved model as an ONNX graph, with the "
                                 "preprocessing fitted at train time (imputation, one-hot "
                                 "encoding, scaling, labels) inside it, checked by onnx's "
                                 "checker. Needs the 'onnx' extra "
                                 "(pip install \"mlplab[onnx]\").")
    export.add_argument("model", metavar="MODEL", help="a model file that mlplab train saved")
    export.add_argument("output", metavar="OUTPUT", help="the .onnx file to write")
    export.set_defaults(run=_export)


def _predict(args: argparse.Namespace) -> str:
    predictions = job.predict_job(args.model, args.data, args.target, delimiter=args.delimiter)
    if args.proba and predictions.proba is None:
        raise ValueError("The '--proba' flag of mlplab predict needs a classifier. Got a "
                         "regression model instead.")
    text = _predictions_csv(predictions, args.proba)
    for line in predictions.notes:  # beside the CSV, not in it
        print(f"mlplab predict: note: {line}", file=sys.stderr)
    if args.output:
        write_atomically(Path(args.output), lambda file: file.write(text.encode("utf-8")))
        return f"wrote {len(predictions.labels)} predictions to {args.output}"
    return text.rstrip("\n")


def _predictions_csv(predictions: job.Predictions, proba: bool) -> str:
    """A header (the target's name; with `proba`, proba_<class> per class), then one row each."""
    labels = np.asarray(predictions.labels)
    columns = [labels] if labels.ndim == 1 else list(labels.T)
    header = ([predictions.name] if labels.ndim == 1 else
              [f"{predictions.name}{j}" for j in range(labels.shape[1])])
    if proba:
        header += [f"proba_{c}" for c in predictions.classes]
        columns += list(predictions.proba.T)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in zip(*columns, strict=True):
        writer.writerow([_field(v) for v in row])
    return out.getvalue()


def _field(value: Any) -> str:
    if isinstance(value, str):
        return value
    value = float(value)
    return str(int(value)) if value == round(value) and abs(value) < 2**53 else f"{value:.10g}"


def _evaluate(args: argparse.Namespace) -> str:
    results = job.evaluate_job(args.model, args.data, args.target, delimiter=args.delimiter)
    lines = [f"note: {line}" for line in results["notes"]]
    target = f" (target {results['target']!r})" if results.get("target") is not None else ""
    lines.append(f"scored {results['rows']} rows of {results['source']}{target}: "
                 f"{job.scores_text(results, rows=False)}")
    return "\n".join(lines)


def _export(args: argparse.Namespace) -> str:
    from mlplab.export import export_onnx, onnx_interface  # needs the onnx extra

    model, metadata = load_with_metadata(args.model)
    preprocessing = metadata.get("preprocessing") or job.legacy_preprocessing(metadata, model)
    # A file of `mlplab train` that records "ensemble": K holds K networks to average.
    ensemble = "ensemble" in metadata
    if not ensemble:
        job.check_not_population(model, "mlplab export")
    members = metadata.get("ensemble")
    if ensemble and (not isinstance(members, int) or isinstance(members, bool) or members < 2
                     or tuple(model.population) != (members,)):
        held = (f"a population of {model.population[0]}" if len(model.population) == 1
                else f"a population of shape {tuple(model.population)}" if model.population
                else "one network")
        raise ModelFileError(f"{args.model} is damaged: its metadata says \"ensemble\": "
                             f"{members!r} (the number of networks, at least 2) but it holds "
                             f"{held}")
    written = export_onnx(model, args.output, preprocessing=preprocessing, ensemble=ensemble)
    return "\n".join([f"wrote {written}", *onnx_interface(model, preprocessing, ensemble)])
