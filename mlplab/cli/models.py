"""`mlplab train`, `predict`, `evaluate` and `export`: models on the user's data."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from mlplab import job
from mlplab.activations import ACTIVATIONS
from mlplab.cli.common import RunInterruptedError, listed, number_list, positive_int, save_png
from mlplab.io import load as load_model
from mlplab.optim import OPTIMIZERS


def add_train(commands: Any) -> None:
    train = commands.add_parser("train", help="train an MLP on a data set or file",
                                description="Train an MLP on a built-in data set (digits, "
                                "iris, moons, mnist1d, ...) or a CSV/NPY/NPZ file. Flags "
                                "override the --config TOML file, whose keys are the long "
                                "flag names with underscores.")
    train.add_argument("data", nargs="?", default=None, help="data set name or file path")
    train.add_argument("--config", help="TOML file with any of the settings below")
    train.add_argument("--target", help="target column of a file (name or index)")
    train.add_argument("--task", choices=job.TASKS, default=None)
    train.add_argument("--layers", type=number_list(int), default=None,
                       help="hidden layer sizes, comma-separated (default 64)")
    train.add_argument("--activation", default=None,
                       help=f"hidden activation (default relu): {listed(ACTIVATIONS)}")
    train.add_argument("--optimizer", default=None,
                       help=f"optimizer (default adam): {listed(OPTIMIZERS)}")
    train.add_argument("--learning-rate", type=float, default=None, help="default 0.001")
    train.add_argument("--epochs", type=positive_int, default=None, help="default 20")
    train.add_argument("--batch-size", type=positive_int, default=None, help="default 32")
    train.add_argument("--validation-split", type=float, default=None)
    train.add_argument("--dropconnect", type=float, default=None,
                       help="DropConnect rate of every weight layer, in [0, 1) (default 0)")
    train.add_argument("--seed", type=int, default=None)
    train.add_argument("--no-standardize", dest="standardize", action="store_false",
                       default=None, help="do not standardize the inputs")
    train.add_argument("--save", help="write the trained model here (.npz, or .safetensors)")
    train.add_argument("--checkpoint", help="checkpoint file (default: SAVE.ckpt.npz)")
    train.add_argument("--resume", help="continue from this checkpoint")
    train.add_argument("--plot", help="write the loss curves here (.png)")
    train.set_defaults(run=_train)


def _train(args: argparse.Namespace) -> str:
    keys = ("data", "target", "task", "layers", "activation", "optimizer", "learning_rate",
            "epochs", "batch_size", "validation_split", "seed", "standardize", "dropconnect",
            "save",
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

        save_png(plotting.plot_loss_curves(history), args.plot)
        lines.append(f"  loss curves in {args.plot}")
    return "\n".join(lines)


def add_predict_and_evaluate(commands: Any) -> None:
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
    export = commands.add_parser("export", help="export a saved model to ONNX")
    export.add_argument("model")
    export.add_argument("output", help="the .onnx file to write")
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
