"""Training jobs as the command line runs them: settings in, model file and summary out.

A `TrainSettings` holds everything `mlplab train` takes, from flags or a TOML
file (flags win). `train_job` loads the data (a built-in name or a file),
works out the task (integer targets with few distinct values are classes),
standardizes the inputs, builds an MLP, trains it with a checkpoint every
epoch, and saves the model together with what `predict` and `evaluate` need
to use it on new data (the task, the number of classes, the input scaling).

Each checkpoint records the run's settings (`recorded`: every field, paths
made absolute) and the preprocessing it fitted, as JSON in the checkpoint's
metadata, so `recorded_settings(path)` gives back everything needed to
continue the run from the file alone (``mlplab train --resume FILE``).
Full-batch solvers (the optimizers whose registry fact ``full_batch`` is
true: BFGS, L-BFGS, annealing) train on the whole data set at once, with
`epochs` as their iteration limit; their search state cannot be saved, so
they write no checkpoint.
"""

from __future__ import annotations

import inspect
import json
import tomllib
import types
import typing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import check_choice, invalid
from mlplab.callbacks import Checkpoint, EarlyStopping
from mlplab.checkpoint import read_checkpoint_metadata
from mlplab.data import DATASETS, Standardizer, load
from mlplab.history import History
from mlplab.io import ModelFileError, read_metadata, save
from mlplab.io import load as load_model
from mlplab.lab.lr_find import lr_find
from mlplab.losses import LOSSES, get_loss
from mlplab.model import MLP
from mlplab.objective import check_targets, evaluate
from mlplab.optim import OPTIMIZERS, chain, clip_by_global_norm, get_optimizer, l2_penalty
from mlplab.train import fit

TASKS = ("auto", "classification", "regression")
MAX_CLASSES = 100  # integer targets with more distinct values than this are a regression
OWNER = "mlplab train"
DEFAULT_PATIENCE = 10


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
    dropout: float = 0.0
    loss: str | None = None  # None: the task's (softmax cross-entropy, or mse)
    weight_decay: float | None = None  # None: the optimizer's own (0 but for adamw)
    clip_norm: float | None = None
    early_stopping: bool = False
    patience: int | None = None  # None: DEFAULT_PATIENCE, with early_stopping only
    save: str | None = None
    checkpoint: str | None = None
    resume: str | None = None
    plot: str | None = None  # written by the command line, not by train_job
    progress: bool = True

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> TrainSettings:
        """Settings from a TOML file (keys as the fields here), then non-None `overrides`."""
        values = read_config(path, OWNER, cls.types())
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def types(cls) -> dict[str, Any]:
        """Each field's type: the TOML keys and what they hold."""
        return typing.get_type_hints(cls)


# Settings a resumed run may change: where it writes, what it shows, and how long it goes on.
RESUME_MAY_CHANGE = ("epochs", "save", "checkpoint", "plot", "progress", "resume")
PATHS = ("save", "checkpoint", "plot")


def recorded(settings: TrainSettings | dict[str, Any]) -> dict[str, Any]:
    """The settings as a checkpoint records them: plain data, without `resume`, with the
    data file and output paths absolute (so a resume from another folder finds them)."""
    values = asdict(settings) if isinstance(settings, TrainSettings) else dict(settings)
    values.pop("resume", None)
    for key in PATHS:
        if values.get(key):
            values[key] = str(Path(values[key]).resolve())
    data = values.get("data")
    if data and Path(data).is_file():
        values["data"] = str(Path(data).resolve())
    return values


def recorded_settings(path: str | Path) -> dict[str, Any] | None:
    """The settings recorded in an `mlplab train` checkpoint, checked; None if it has none."""
    saved = read_checkpoint_metadata(path).get("train_settings")
    if saved is None:
        return None
    known = TrainSettings.types()

    def fits(key: str, value: Any) -> bool:  # JSON, unlike TOML, holds None
        kind = known.get(key)
        return kind is not None and (_is_of(value, kind) or (
            value is None and type(None) in typing.get_args(kind)))

    bad = ([key for key, value in saved.items() if not fits(key, value)]
           if isinstance(saved, dict) else ["(not a dict)"])
    if bad:
        raise ModelFileError(f"{path} records mlplab train settings that this mlplab does "
                             f"not know or that have the wrong type: {bad}")
    return saved


def checkpoint_path(settings: TrainSettings) -> str | None:
    """Where the run writes its checkpoint: --checkpoint, else SAVE.ckpt.npz; None when it
    writes none (no --save or --checkpoint, or a full-batch solver)."""
    if full_batch(settings.optimizer):
        return None
    return settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)


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
            parts = invalid(key, owner, _kind_text(known[key]), value).parameter
            raise ValueError(parts.renamed(f"'{key}' key", f"{path} ({owner} --config)"))
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
              seed=settings.seed, dropconnect=settings.dropconnect, dropout=settings.dropout)
    metadata = {"task": task, "n_classes": n_out if task == "classification" else None,
                "standardizer": scaler.get_config() if scaler is not None else None,
                "target": settings.target, "data_seed": settings.seed}
    return X, y, net, metadata


def train_job(settings: TrainSettings) -> tuple[Any, History, dict[str, Any]]:
    """Run `settings`: returns the trained model, its History and the saved metadata.

    A full-batch solver trains on all rows at once (`batch_size` is not used)
    for at most `epochs` iterations.
    """
    optimizer = _optimizer(settings)
    X, y, net, metadata = _prepared(settings)
    task = metadata["task"]
    loss = _training_loss(settings.loss, task)
    if settings.resume:
        _check_same_data(settings.resume, metadata)
    history = fit(net, X, y, loss=loss, epochs=settings.epochs, optimizer=optimizer,
                  batch_size=None if full_batch(settings.optimizer) else settings.batch_size,
                  seed=settings.seed, validation_split=settings.validation_split,
                  metrics=["accuracy"] if task == "classification" else ["mae"],
                  callbacks=_callbacks(settings, metadata),
                  progress=settings.progress, resume_from=settings.resume)
    if settings.save:
        save(net, settings.save, metadata=metadata)
    return net, history, metadata


def _callbacks(settings: TrainSettings, metadata: dict[str, Any]) -> list[Any]:
    """Early stopping if asked, and the checkpoint, which records the run's settings."""
    if settings.patience is not None and not settings.early_stopping:
        raise invalid("patience", OWNER, "left out unless early stopping is on "
                      "(--early-stopping, or early_stopping = true)", settings.patience)
    callbacks: list[Any] = []
    if settings.early_stopping:  # the validation loss if there is one, else the training loss
        monitor = "val_loss" if settings.validation_split else "loss"
        patience = DEFAULT_PATIENCE if settings.patience is None else settings.patience
        callbacks.append(EarlyStopping(monitor, patience=patience, restore_best_weights=True))
    where = checkpoint_path(settings)
    if where is not None:
        callbacks.append(Checkpoint(where, metadata={"train_settings": recorded(settings),
                                                     "preprocessing": metadata}))
    return callbacks


def _check_same_data(path: str, metadata: dict[str, Any]) -> None:
    """A checkpoint of `mlplab train` fitted the same preprocessing as this run did."""
    saved = read_checkpoint_metadata(path).get("preprocessing")
    if saved is not None and saved != json.loads(json.dumps(metadata)):
        raise ValueError(f"--resume {path}: the data differ from those the checkpoint was "
                         "trained on (another file, or the file changed): their task, "
                         "classes or scaling are not the recorded ones")


def lr_find_job(settings: TrainSettings, *, alphas: Any = None, steps: int = 200) -> Any:
    """The learning-rate finder on the network and data `settings` describe (see `lr_find`)."""
    X, y, net, metadata = _prepared(settings)
    return lr_find(net, X, y, alphas=alphas, steps=steps,
                   loss=_training_loss(settings.loss, metadata["task"]),
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


def full_batch(name: str) -> bool:
    """Whether the optimizer `name` is a full-batch solver (its registry fact says so)."""
    name = OPTIMIZERS.canonical(name, owner=OWNER, parameter="optimizer")
    return bool(OPTIMIZERS.fact(name, "full_batch"))


def _optimizer(settings: TrainSettings) -> Any:
    """The named optimizer at the learning rate, after gradient clipping and weight decay.

    Clipping rescales the loss's gradient to a global norm of at most
    `clip_norm`; weight decay then adds ``weight_decay * W`` to it (an L2
    penalty), or is the optimizer's own argument when it takes one (AdamW's
    decoupled decay, SGD's). Solvers take neither: they minimize the loss alone.
    """
    name = OPTIMIZERS.canonical(settings.optimizer, owner=OWNER, parameter="optimizer")
    if full_batch(name):
        _check_solver_settings(name, settings)
        return get_optimizer(name, owner=OWNER)
    options = {OPTIMIZERS.fact(name, "learning_rate"): settings.learning_rate}
    decay = settings.weight_decay
    own_decay = "weight_decay" in inspect.signature(OPTIMIZERS[name]).parameters
    if decay is not None and own_decay:
        options["weight_decay"] = decay
    links = [] if settings.clip_norm is None else [clip_by_global_norm(settings.clip_norm)]
    if decay is not None and not own_decay:
        links.append(l2_penalty(decay))
    step = get_optimizer(name, owner=OWNER, **options)
    return chain(*links, step) if links else step


def _check_solver_settings(name: str, settings: TrainSettings) -> None:
    """Refuse the settings a full-batch solver cannot honour."""
    for key in ("weight_decay", "clip_norm"):
        value = getattr(settings, key)
        if value is not None and value != 0:
            raise invalid(key, OWNER, f"left out with the full-batch solver {name!r}, which "
                          "minimizes the loss alone", value)
    for key in ("checkpoint", "resume"):
        if getattr(settings, key):
            raise invalid(key, OWNER, f"left out with the full-batch solver {name!r} (its "
                          "search state cannot be saved; --save keeps the trained model)",
                          getattr(settings, key))


def _training_loss(name: str | None, task: str) -> str:
    """The loss to train with: `name` if it suits the task and its output layer, else refused."""
    default = _loss(task)
    if name is None:
        return default
    name = LOSSES.canonical(name, owner=OWNER, parameter="loss")
    output = LOSSES[default].logits_of  # the output activation the network has for the task
    fitting = [n for n in LOSSES.names(task=task) if LOSSES[n].logits_of == output]
    if name not in fitting:
        raise invalid("loss", OWNER, f"a loss for {task} on this network's output: one of "
                      f"{', '.join(fitting)}", name)
    return name


def _loss(task: str) -> str:
    return "softmax_crossentropy" if task == "classification" else "mse"
