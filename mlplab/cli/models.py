"""`mlplab train`, `predict`, `evaluate` and `export`: models on the user's data."""

from __future__ import annotations

import argparse
import csv
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from mlplab import job
from mlplab.activations import ACTIVATIONS
from mlplab.cli.common import RunInterruptedError, listed, number_list, positive_int, save_png
from mlplab.io import load as load_model
from mlplab.io import read_metadata
from mlplab.io.atomic import write_atomically
from mlplab.optim import OPTIMIZERS


def add_train(commands: Any) -> None:
    train = commands.add_parser("train", help="train an MLP on a data set or file",
                                description="Train an MLP on a built-in data set (digits, "
                                "iris, moons, mnist1d, ...) or a table: CSV, TSV, NPY, NPZ, "
                                "or Parquet with pyarrow. Text labels become classes, text "
                                "columns are one-hot encoded, missing values filled, constant "
                                "columns dropped; training stops when the validation loss "
                                "stops improving. Flags override the --config TOML file, whose "
                                "keys are the long flag names with underscores.")
    train.add_argument("data", nargs="?", default=None, help="data set name or file path")
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
    train.add_argument("--activation", default=None,
                       help=f"hidden activation (default relu): {listed(ACTIVATIONS)}")
    train.add_argument("--optimizer", default=None,
                       help=f"optimizer (default adam): {listed(OPTIMIZERS)}")
    train.add_argument("--learning-rate", type=float, default=None, help="default 0.001")
    train.add_argument("--epochs", type=positive_int, default=None,
                       help="the most epochs (default 1000; early stopping ends runs sooner)")
    train.add_argument("--batch-size", type=positive_int, default=None,
                       help="default 32, smaller for small data: min(32, max(8, rows // 10))")
    train.add_argument("--validation-split", type=float, default=None)
    train.add_argument("--dropconnect", type=float, default=None,
                       help="DropConnect rate of every weight layer, in [0, 1) (default 0)")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--no-standardize", dest="standardize", action="store_false",
                       default=None, help="do not standardize the inputs")
    train.add_argument("--save", help="write the trained model here (.npz)")
    train.add_argument("--checkpoint", help="checkpoint file (default: SAVE.ckpt.npz)")
    train.add_argument("--resume", help="continue from this checkpoint")
    train.add_argument("--plot", help="write the loss curves here (.png)")
    train.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> str:
    keys = ("data", "target", "task", "drop", "delimiter", "impute", "test_split", "layers",
            "activation", "optimizer", "learning_rate", "epochs", "batch_size",
            "validation_split", "seed", "standardize", "dropconnect", "save", "checkpoint",
            "resume")
    given = {key: getattr(args, key) for key in keys}
    if args.config:
        settings = job.TrainSettings.from_toml(args.config, **given)
    else:
        settings = job.TrainSettings(**{k: v for k, v in given.items() if v is not None})
    try:
        with warnings.catch_warnings():  # the summary says it in its own words
            warnings.simplefilter("ignore", job.NotConverged)
            _, history, metadata = job.train_job(settings)
    except KeyboardInterrupt:
        where = settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)
        advice = (f"the last epoch's checkpoint is {where}: continue with --resume {where}"
                  if where else "nothing was saved (give --save or --checkpoint to keep "
                  "progress)")
        raise RunInterruptedError(f"interrupted; {advice}") from None
    summary = list(metadata["summary"])
    test = [summary.pop()] if "test" in metadata else []  # the last word, after the epochs
    lines = [*summary, "last epoch: " + ", ".join(f"{name} {np.mean(values[-1]):.4g}" for
                                                  name, values in history.history.items()),
             *test]
    if settings.save:
        lines.append(f"saved to {settings.save}")
    if args.plot:
        from mlplab import plotting  # needs the plot extra

        save_png(plotting.plot_loss_curves(history), args.plot)
        lines.append(f"loss curves in {args.plot}")
    return "\n".join(lines)


def add_predict_and_evaluate(commands: Any) -> None:
    predict = commands.add_parser("predict", help="predict with a saved model",
                                  description="Predict every row of a table; its columns are "
                                  "matched to the model's by name (the target column may be "
                                  "there or not). Writes CSV with a header.")
    predict.add_argument("model")
    predict.add_argument("data")
    predict.add_argument("--target", help="target column to leave out (only for model files "
                         "without column names; others know their target)")
    predict.add_argument("--proba", action="store_true",
                         help="add one probability column per class (classifiers)")
    predict.add_argument("--delimiter", help="field separator of a text file")
    predict.add_argument("--output", help="write predictions here (.csv) instead of printing")
    predict.set_defaults(run=_predict)
    evaluate = commands.add_parser("evaluate", help="scores of a saved model on labelled data")
    evaluate.add_argument("model")
    evaluate.add_argument("data")
    evaluate.add_argument("--target", help="target column (only for model files without "
                          "column names)")
    evaluate.add_argument("--delimiter", help="field separator of a text file")
    evaluate.set_defaults(run=_evaluate)
    export = commands.add_parser("export", help="export a saved model to ONNX, with its "
                                 "preprocessing")
    export.add_argument("model")
    export.add_argument("output", help="the .onnx file to write")
    export.set_defaults(run=_export)


def _predict(args: argparse.Namespace) -> str:
    predictions = job.predict_job(args.model, args.data, args.target, delimiter=args.delimiter)
    if args.proba and predictions.proba is None:
        raise ValueError("The '--proba' flag of mlplab predict needs a classifier. Got a "
                         "regression model instead.")
    text = _predictions_csv(predictions, args.proba)
    notes = [f"note: {line}" for line in predictions.notes]
    if args.output:
        write_atomically(Path(args.output), lambda file: file.write(text.encode("utf-8")))
        return "\n".join([*notes, f"wrote {len(predictions.labels)} predictions to "
                          f"{args.output}"])
    return "\n".join([*notes, text.rstrip("\n")])


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

    metadata = read_metadata(args.model)
    model, preprocessing = load_model(args.model), metadata.get("preprocessing")
    written = export_onnx(model, args.output, preprocessing=preprocessing)
    return "\n".join([f"wrote {written}", *onnx_interface(model, preprocessing)])
