"""Training jobs as the command line runs them: settings in, model file and summary out.

A `TrainSettings` holds everything `mlplab train` takes, from flags or a TOML
file (flags win). `train_job` loads the data (a built-in name or a file),
works out the task (integer targets with few distinct values are classes),
standardizes the inputs, builds an MLP, trains it with a checkpoint every
epoch, and saves the model together with what `predict` and `evaluate` need
to use it on new data (the task, the number of classes, the input scaling).
"""

from __future__ import annotations

import inspect
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import check_choice, invalid
from mlplab.callbacks import Checkpoint
from mlplab.data import DATASETS, Standardizer, load
from mlplab.history import History
from mlplab.io import load as load_model
from mlplab.io import read_metadata, save
from mlplab.lab.lr_find import lr_find
from mlplab.losses import get_loss
from mlplab.model import MLP
from mlplab.objective import check_targets, evaluate
from mlplab.optim import OPTIMIZERS, get_optimizer
from mlplab.train import fit

TASKS = ("auto", "classification", "regression")
MAX_CLASSES = 100  # integer targets with more distinct values than this are a regression


@dataclass
class TrainSettings:
    """The settings of one `mlplab train` run (see `mlplab train --help`)."""

    data: str = ""
    target: Any = None
    task: str = "auto"
    layers: list[int] = field(default_factory=lambda: [64])
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    epochs: int = 20
    batch_size: int | None = 32
    validation_split: float | None = None
    seed: int = 0
    standardize: bool = True
    dropconnect: float = 0.0
    save: str | None = None
    checkpoint: str | None = None
    resume: str | None = None
    progress: bool = True

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> TrainSettings:
        """Settings from a TOML file (keys as the fields here), then non-None `overrides`."""
        values = read_config(path, "mlplab train", typing.get_type_hints(cls))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def read_config(path: str | Path, owner: str, known: dict[str, Any]) -> dict[str, Any]:
    """The settings in a TOML file, checked: a readable file, known keys, values of their types.

    known: each key's type (``int``, ``float``, ``str``, ``bool``, ``list[int]``,
    ``X | None``, ``Any``); a wrong value is refused naming the key and the file.
    """
    try:
        values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise invalid("config", owner, "a readable TOML file", f"{path} ({error})",
                      raw=True) from None
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise invalid("config", owner, f"keys among {sorted(known)}",
                      f"unknown keys {unknown} in {path}", raw=True)
    for key, value in values.items():
        if not _is_of(value, known[key]):
            raise invalid(key, f"{owner} (in {path})", _kind_text(known[key]), value)
    return values


def _is_of(value: Any, kind: Any) -> bool:
    """Whether a TOML value is of a settings field's type (an int is a float, a bool no number)."""
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_is_of(value, k) for k in arguments)
    if origin is list:
        return isinstance(value, list) and all(_is_of(v, arguments[0]) for v in value)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return kind is not type(None) and isinstance(value, kind)


def _kind_text(kind: Any) -> str:
    """A settings field's type in words, for the message."""
    arguments = [k for k in typing.get_args(kind) if k is not type(None)]
    if typing.get_origin(kind) is list:
        return f"a list of {_kind_text(arguments[0]).split(' ', 1)[1]}s"
    if arguments:
        return " or ".join(_kind_text(k) for k in arguments)
    return {str: "a string", int: "an integer", float: "a number",
            bool: "true or false"}.get(kind, f"a {getattr(kind, '__name__', kind)}")


def _prepared(settings: TrainSettings) -> tuple[np.ndarray, np.ndarray, MLP, dict[str, Any]]:
    """The data (scaled if asked), the untrained network and the metadata `settings` imply."""
    X, y = _data(settings.data, settings.target, settings.seed)
    task = _task(settings.task, y)
    scaler = Standardizer().fit(X) if settings.standardize else None
    X = scaler.transform(X) if scaler is not None else X
    n_out = int(y.max()) + 1 if task == "classification" else (1 if y.ndim == 1 else y.shape[1])
    net = MLP([X.shape[1], *settings.layers, n_out], activation=settings.activation,
              output_activation="softmax" if task == "classification" else "linear",
              seed=settings.seed, dropconnect=settings.dropconnect)
    metadata = {"task": task, "n_classes": n_out if task == "classification" else None,
                "standardizer": scaler.get_config() if scaler is not None else None,
                "target": settings.target, "data_seed": settings.seed}
    return X, y, net, metadata


def train_job(settings: TrainSettings) -> tuple[Any, History, dict[str, Any]]:
    """Run `settings`: returns the trained model, its History and the saved metadata."""
    X, y, net, metadata = _prepared(settings)
    task = metadata["task"]
    checkpoint = settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)
    history = fit(net, X, y, loss=_loss(task), epochs=settings.epochs,
                  optimizer=_optimizer(settings.optimizer, settings.learning_rate),
                  batch_size=settings.batch_size, seed=settings.seed,
                  validation_split=settings.validation_split,
                  metrics=["accuracy"] if task == "classification" else ["mae"],
                  callbacks=[Checkpoint(checkpoint)] if checkpoint else [],
                  progress=settings.progress, resume_from=settings.resume)
    if settings.save:
        save(net, settings.save, metadata=metadata)
    return net, history, metadata


def lr_find_job(settings: TrainSettings, *, alphas: Any = None, steps: int = 200) -> Any:
    """The learning-rate finder on the network and data `settings` describe (see `lr_find`)."""
    X, y, net, metadata = _prepared(settings)
    return lr_find(net, X, y, alphas=alphas, steps=steps, loss=_loss(metadata["task"]),
                   optimizer=settings.optimizer, batch_size=settings.batch_size,
                   seed=settings.seed)


def predict_job(model_path: str, data: str, target: Any = None) -> np.ndarray:
    """Predictions of a saved model on data: class labels, or values for a regression."""
    model, metadata = load_model(model_path), read_metadata(model_path)
    X = _inputs(data, target, metadata)
    outputs = model.predict(X)
    if metadata.get("task") == "classification":
        return outputs.argmax(axis=-1)
    return outputs[..., 0] if outputs.shape[-1] == 1 else outputs


def evaluate_job(model_path: str, data: str, target: Any = None) -> dict[str, Any]:
    """Loss and metric of a saved model on labelled data."""
    model, metadata = load_model(model_path), read_metadata(model_path)
    task = metadata.get("task", "regression")
    X, y = _data(data, target if target is not None else metadata.get("target"),
                 metadata.get("data_seed"))
    X = _scaled(X, metadata)
    loss = get_loss(_loss(task))
    y = check_targets(model, y, X.shape[0], loss, "mlplab evaluate")
    metric = "accuracy" if task == "classification" else "mae"
    return evaluate(model, model.check_input(X, "data", "mlplab evaluate"), y, loss, [metric])


def _data(source: str, target: Any, seed: Any = None) -> tuple[np.ndarray, np.ndarray]:
    if not source:
        raise invalid("data", "mlplab train", "a built-in data set name or a file path", source)
    X, y = load(source, **_load_options(source, target, seed))
    if y is None:
        raise invalid("target", "mlplab", "a target column for training or evaluation",
                      "data without targets", raw=True)
    return np.asarray(X, dtype=float), np.asarray(y)


def _inputs(source: str, target: Any, metadata: dict[str, Any]) -> np.ndarray:
    target = target if target is not None else metadata.get("target")
    X, _ = load(source, **_load_options(source, target, metadata.get("data_seed")))
    return _scaled(np.asarray(X, dtype=float), metadata)


def _load_options(source: str, target: Any, seed: Any) -> dict[str, Any]:
    """A file's target column, or the seed of a generated set (the same data every time)."""
    name = source.replace("-", "_")
    if name in DATASETS:
        takes_seed = "seed" in inspect.signature(DATASETS[name]).parameters
        return {"seed": seed} if takes_seed and seed is not None else {}
    return {"target": target} if target is not None else {}


def _scaled(X: np.ndarray, metadata: dict[str, Any]) -> np.ndarray:
    config = metadata.get("standardizer")
    return Standardizer.from_config(config).transform(X) if config else X


def _task(task: str, y: np.ndarray) -> str:
    task = check_choice("task", "mlplab train", task, TASKS)
    if task != "auto":
        return task
    whole = y.ndim == 1 and np.all(y == np.round(y)) and y.min() >= 0
    return "classification" if whole and len(np.unique(y)) <= MAX_CLASSES else "regression"


def _optimizer(name: str, learning_rate: float) -> Any:
    """The named optimizer with the learning rate, if it takes one (solvers do not)."""
    name = OPTIMIZERS.canonical(name, owner="mlplab train", parameter="optimizer")
    rate = OPTIMIZERS.fact(name, "learning_rate")  # the argument's name; None for solvers
    return get_optimizer(name, **({rate: learning_rate} if rate else {}))


def _loss(task: str) -> str:
    return "softmax_crossentropy" if task == "classification" else "mse"
