"""Training jobs as the command line runs them: settings in, model file and summary out.

A `TrainSettings` holds everything `mlplab train` takes, from flags or a TOML
file (flags win). `train_job` reads the data (a built-in name or the user's
table), decides the task from the target's labels and says why, holds out the
test rows (``test_split``) before anything is fitted, fits the preprocessing
(`mlplab.preprocessing.TablePreprocessor`) on the training rows, trains an MLP
until the validation loss stops improving, scores the test rows, and saves the
model with its preprocessing as data, which `predict_job`, `evaluate_job` and
ONNX export apply to new tables by column name.
"""

from __future__ import annotations

import inspect
import math
import tomllib
import types
import typing
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks import Checkpoint, EarlyStopping
from mlplab.data import DATASETS, Standardizer, load, train_test_split
from mlplab.data.table import Table, read_table
from mlplab.history import History
from mlplab.io import load as load_model
from mlplab.io import read_metadata, save
from mlplab.lab.lr_find import lr_find
from mlplab.losses import get_loss
from mlplab.model import MLP
from mlplab.objective import check_targets, evaluate
from mlplab.optim import OPTIMIZERS, get_optimizer
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.preprocessing import TablePreprocessor, detect_task, present
from mlplab.train import fit

SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".npy", ".npz", ".parquet", ".pq")
# The defaults, the same for every data set (bench/real_data.py measures them):
VALIDATION_SPLIT = 0.2  # held out of the training rows to watch for early stopping
BATCH_SIZE, MIN_BATCH, MIN_STEPS = 32, 8, 10  # see _batch_size
MIN_DELTA = 1e-4  # the least fall of the validation loss that counts as improving


@dataclass
class TrainSettings:
    """The settings of one `mlplab train` run (see `mlplab train --help`)."""

    data: str = ""
    target: Any = None
    task: str = "auto"
    drop: list[str] = field(default_factory=list)
    delimiter: str | None = None
    impute: str = "median"
    test_split: float | None = None
    layers: list[int] = field(default_factory=lambda: [256])
    activation: str = "relu"
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    epochs: int = 1000  # a cap: early stopping ends most runs long before
    batch_size: int | None = None  # None: BATCH_SIZE, shrunk for small data (_batch_size)
    validation_split: float | None = None  # None: VALIDATION_SPLIT when early stopping
    early_stopping: bool = True
    patience: int = 20
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


class Prepared(NamedTuple):
    """What a run trains on: inputs and targets (training and held-out rows), the untrained
    network, the fitted preprocessing, the metadata to save and the lines that say what was done."""

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    net: MLP
    preprocessor: TablePreprocessor
    metadata: dict[str, Any]
    lines: list[str]


def _prepared(settings: TrainSettings) -> Prepared:
    """Read the data, decide the task, hold out the test rows, then fit the preprocessing on
    the training rows alone and build the network."""
    table = read_data(settings.data, settings.delimiter, settings.seed, "mlplab train")
    target, where = _target(table, settings.target)
    labelled = present(table.column(target))
    lines = [f"target: {target!r}{where}"]
    if not labelled.all():
        lines.append(f"{int((~labelled).sum())} rows without a target left out")
        table = table.take(np.flatnonzero(labelled))
    task, why = detect_task(table.column(target), target, settings.task)
    classes = np.unique(table.column(target)).tolist() if task == "classification" else None
    train, test = _split(table, target, task, settings.test_split, settings.seed)
    preprocessor = TablePreprocessor().fit(
        table.take(train), target=target, task=task, drop=settings.drop,
        impute=settings.impute, standardize=settings.standardize, classes=classes)
    lines.append(_task_line(preprocessor, why))
    lines += preprocessor.summary()
    X, y = _encoded(preprocessor, table.take(train))
    X_test, y_test = _encoded(preprocessor, table.take(test)) if test is not None else (None,
                                                                                         None)
    if test is not None:
        lines.append(f"test split: {len(test)} rows held out before fitting, {len(train)} "
                     "rows to train on")
    n_out = len(classes) if task == "classification" else 1
    net = MLP([X.shape[1], *settings.layers, n_out], activation=settings.activation,
              output_activation="softmax" if task == "classification" else "linear",
              seed=settings.seed, dropconnect=settings.dropconnect)
    metadata = {"task": task, "n_classes": n_out if task == "classification" else None,
                "target": target, "data_seed": settings.seed,
                "preprocessing": preprocessor.get_config()}
    return Prepared(X, y, X_test, y_test, net, preprocessor, metadata, lines)


def read_data(source: str, delimiter: str | None, seed: Any, owner: str) -> Table:
    """A built-in data set (columns x0, x1, ... and "target") or a file, as a Table."""
    if not source:
        raise invalid("data", owner, "a built-in data set name or a file path", source)
    name = source.replace("-", "_")
    if name in DATASETS:
        takes_seed = "seed" in inspect.signature(DATASETS[name]).parameters
        X, y = load(name, **({"seed": seed} if takes_seed and seed is not None else {}))
        X = np.asarray(X)
        return Table.from_arrays(X, y, source=source,
                                 names=[f"x{j}" for j in range(X.shape[1])])
    if not Path(source).is_file() and Path(source).suffix.lower() not in SUFFIXES:
        raise invalid("data", owner, f"one of {', '.join(map(repr, DATASETS))} or a path to "
                      f"a {', '.join(SUFFIXES)} file", source)
    return read_table(source, delimiter=delimiter, owner=owner)


def _target(table: Table, target: Any) -> tuple[str, str]:
    """The target column's name, and how it was chosen (in words) when not by --target."""
    if target is not None:
        return table.find(target, "mlplab train"), ""
    for name in ("target", "y"):  # built-in sets and .npz files name theirs
        if table.names[-1] == name:
            return name, ""
    if len(table.names) < 2:
        raise invalid("data", "mlplab train", "a table of at least two columns (inputs and a "
                      "target)", f"{table.source} with one column", raw=True)
    return table.names[-1], " (the last column; choose another with --target)"


def _split(table: Table, target: str, task: str, fraction: float | None,
           seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Training and test row indices: the test rows shuffled out (stratified by class)."""
    rows = np.arange(table.n_rows)
    if fraction is None:
        return rows, None
    if not isinstance(fraction, float) or not 0 < fraction < 1:
        raise invalid("test_split", "mlplab train", "a fraction in (0, 1) such as 0.2", fraction)
    labels = table.column(target)
    strata = (np.unique(labels.astype(str), return_inverse=True)[1]
              if task == "classification" else np.zeros(len(rows), dtype=np.int64))
    parts = train_test_split(rows, strata, test_size=fraction, seed=seed, stratify=True)
    return np.sort(parts.X_train), np.sort(parts.X_test)


def _encoded(preprocessor: TablePreprocessor, table: Table) -> tuple[np.ndarray, np.ndarray]:
    return (preprocessor.transform(table, "mlplab train"),
            preprocessor.encode_target(table.column(preprocessor.target), "mlplab train"))


def _task_line(preprocessor: TablePreprocessor, why: str) -> str:
    if preprocessor.task == "classification":
        classes = preprocessor.classes
        shown = ", ".join(map(str, classes[:8])) + (", ..." if len(classes) > 8 else "")
        what = f"classification ({len(classes)} classes: {shown})"
    else:
        what = "regression (targets standardized for training, predictions mapped back)"
    return f"task: {what}, {why}; override with --task"


def train_job(settings: TrainSettings) -> tuple[Any, History, dict[str, Any]]:
    """Run `settings`: returns the trained model, its History and the saved metadata.

    metadata["summary"] holds the lines that say what was done (columns, task,
    training, the test score); a run stopped by the epoch cap while the validation
    loss still improved also warns (`NotConverged`).
    """
    prepared = _prepared(settings)
    net, task, metadata = prepared.net, prepared.metadata["task"], prepared.metadata
    checkpoint = settings.checkpoint or (f"{settings.save}.ckpt.npz" if settings.save else None)
    stopper = _early_stopping(settings)
    callbacks = [c for c in (stopper, Checkpoint(checkpoint) if checkpoint else None) if c]
    batch_size = _batch_size(settings.batch_size, _fit_rows(settings, len(prepared.X)))
    history = fit(net, prepared.X, prepared.y, loss=_loss(task), epochs=settings.epochs,
                  optimizer=_optimizer(settings.optimizer, settings.learning_rate),
                  batch_size=batch_size, seed=settings.seed,
                  validation_split=_validation_split(settings),
                  metrics=["accuracy"] if task == "classification" else ["mae"],
                  callbacks=callbacks, progress=settings.progress, resume_from=settings.resume)
    lines = [*prepared.lines, _stopping_line(settings, stopper, len(history), batch_size)]
    if prepared.X_test is not None:
        scores = scores_of(net, prepared.preprocessor, prepared.X_test, prepared.y_test,
                           baseline=prepared.y)
        metadata["test"] = scores
        lines.append("test: " + scores_text(scores))
    metadata["summary"] = lines
    if settings.save:
        save(net, settings.save, metadata=metadata)
    return net, history, metadata


def _early_stopping(settings: TrainSettings) -> EarlyStopping | None:
    if not settings.early_stopping:
        return None
    return EarlyStopping("val_loss", patience=settings.patience, min_delta=MIN_DELTA,
                         restore_best_weights=True)


def _validation_split(settings: TrainSettings) -> float | None:
    """The rows held out to watch: as asked, or VALIDATION_SPLIT for early stopping."""
    if settings.validation_split is None and settings.early_stopping:
        return VALIDATION_SPLIT
    return settings.validation_split


def _fit_rows(settings: TrainSettings, n_rows: int) -> int:
    """The rows gradient steps see: the training rows less the validation rows."""
    split = _validation_split(settings)
    return n_rows - math.ceil(split * n_rows - 1e-9) if isinstance(split, float) else n_rows


def _batch_size(batch_size: int | None, n_rows: int) -> int:
    """As asked, or BATCH_SIZE shrunk so that even a small set takes several steps an epoch:
    min(BATCH_SIZE, max(MIN_BATCH, n_rows // MIN_STEPS))."""
    if batch_size is not None:
        return batch_size
    return min(BATCH_SIZE, max(MIN_BATCH, n_rows // MIN_STEPS), n_rows)


def _stopping_line(settings: TrainSettings, stopper: EarlyStopping | None, epochs: int,
                   batch_size: int) -> str:
    """How training ended, with a warning when the epoch cap cut it short while improving."""
    ran = f"trained for {epochs} epochs in batches of {batch_size}"
    if stopper is None:
        return ran
    best = int(np.max(stopper.best_epoch)) + 1
    if stopper.stopped_epoch is not None:
        return (f"{ran}: stopped early, the validation loss last improved at epoch {best} "
                f"(its weights kept)")
    if epochs - best < settings.patience:
        message = (f"training reached the epoch cap ({settings.epochs}) while the validation "
                   f"loss was still improving (best at epoch {best}): raise --epochs")
        warnings.warn(message, NotConverged, stacklevel=3)
        return f"{ran}; warning: {message}"
    return f"{ran}: the validation loss was best at epoch {best} (its weights kept)"


class NotConverged(UserWarning):
    """Training stopped at the epoch cap while the validation loss was still improving."""


def scores_of(model: Any, preprocessor: TablePreprocessor, X: np.ndarray, y: np.ndarray,
              *, baseline: np.ndarray | None = None) -> dict[str, Any]:
    """Scores on encoded rows (X, y), in the target's units: accuracy and cross-entropy for
    classes; MAE and RMSE for a regression. baseline: the training targets, to score the
    trivial prediction beside (the most frequent class, or the mean)."""
    outputs = np.asarray(model.predict(X))
    scores: dict[str, Any] = {"rows": len(X)}
    if preprocessor.task == "classification":
        loss = get_loss(_loss("classification"))
        y_checked = check_targets(model, y, len(X), loss, "mlplab evaluate")
        scores["accuracy"] = float(np.mean(outputs.argmax(axis=-1) == y))
        scores["loss"] = float(evaluate(model, X, y_checked, loss)["loss"])
        if baseline is not None:
            scores["most_frequent_class_accuracy"] = float(
                np.mean(y == np.bincount(baseline).argmax()))
        return scores
    scale = preprocessor.config["target_scale"]
    errors = (outputs[:, 0] - y) * scale
    scores["mae"], scores["rmse"] = float(np.abs(errors).mean()), float(np.sqrt(
        np.mean(errors ** 2)))
    if baseline is not None:
        scores["mean_mae"] = float(np.abs((y - baseline.mean()) * scale).mean())
    return scores


def scores_text(scores: dict[str, Any], *, rows: bool = True) -> str:
    """Scores in a line, e.g. "accuracy 0.9667, cross-entropy 0.0912 on 30 rows"."""
    if "accuracy" in scores:
        text = f"accuracy {scores['accuracy']:.4g}, cross-entropy {scores['loss']:.4g}"
        trivial = scores.get("most_frequent_class_accuracy")
        extra = "" if trivial is None else f"; the most frequent class alone: {trivial:.4g}"
    elif "rmse" in scores:
        text = f"MAE {scores['mae']:.4g}, RMSE {scores['rmse']:.4g}"
        trivial = scores.get("mean_mae")
        extra = "" if trivial is None else f"; predicting the training mean: MAE {trivial:.4g}"
    else:  # a model file without preprocessing: the loss and MAE in the units it was trained on
        text, extra = f"loss {scores['loss']:.4g}, MAE {scores['mae']:.4g}", ""
    return text + (f" on {scores['rows']} rows" if rows else "") + extra


def lr_find_job(settings: TrainSettings, *, alphas: Any = None, steps: int = 200) -> Any:
    """The learning-rate finder on the network and data `settings` describe (see `lr_find`)."""
    prepared = _prepared(settings)
    return lr_find(prepared.net, prepared.X, prepared.y, alphas=alphas, steps=steps,
                   loss=_loss(prepared.metadata["task"]), optimizer=settings.optimizer,
                   batch_size=_batch_size(settings.batch_size, len(prepared.X)),
                   seed=settings.seed)


class Predictions(NamedTuple):
    """A saved model's answers: labels (n,) (or values), the class probabilities (n, K) or
    None, the classes or None, the name of what is predicted, and notes on the data."""

    labels: np.ndarray
    proba: np.ndarray | None
    classes: list[Any] | None
    name: str
    notes: list[str]


def predict_job(model_path: str, data: str, target: Any = None, *,
                delimiter: str | None = None) -> Predictions:
    """Predictions of a saved model on data, with its columns matched by name."""
    model, metadata = load_model(model_path), read_metadata(model_path)
    if "preprocessing" not in metadata:
        return _legacy_predictions(model, metadata, data, target)
    preprocessor = TablePreprocessor.from_config(metadata["preprocessing"])
    table = read_data(data, delimiter, metadata.get("data_seed"), "mlplab predict")
    outputs = np.asarray(model.predict(preprocessor.transform(table, "mlplab predict")))
    classification = preprocessor.task == "classification"
    return Predictions(preprocessor.decode(outputs), outputs if classification else None,
                       preprocessor.classes, preprocessor.target, preprocessor.unseen(table))


def evaluate_job(model_path: str, data: str, target: Any = None, *,
                 delimiter: str | None = None) -> dict[str, Any]:
    """Scores of a saved model on labelled data (see `scores_of`), and what was scored:
    "rows", "source", "target", "notes"."""
    model, metadata = load_model(model_path), read_metadata(model_path)
    if "preprocessing" not in metadata:
        return _legacy_evaluation(model, metadata, data, target)
    preprocessor = TablePreprocessor.from_config(metadata["preprocessing"])
    table = read_data(data, delimiter, metadata.get("data_seed"), "mlplab evaluate")
    if preprocessor.target not in table.names:
        raise invalid("data", "mlplab evaluate", f"a table with the target column "
                      f"{preprocessor.target!r} to score against", table.source)
    labelled = present(table.column(preprocessor.target))
    notes = preprocessor.unseen(table)
    if not labelled.all():
        notes.append(f"{int((~labelled).sum())} rows without a target left out")
        table = table.take(np.flatnonzero(labelled))
    X, y = _encoded(preprocessor, table)
    scores = scores_of(model, preprocessor, X, y)
    return {**scores, "source": table.source, "target": preprocessor.target, "notes": notes}


def _legacy_predictions(model: Any, metadata: dict[str, Any], data: str,
                        target: Any) -> Predictions:
    """A model file without preprocessing (saved by `mlplab.save`, or by an older mlplab):
    its inputs are the columns of the data but the target, scaled as its file says."""
    X = _legacy_inputs(data, target if target is not None else metadata.get("target"),
                       metadata, model.n_inputs)
    outputs = np.asarray(model.predict(X))
    if metadata.get("task") == "classification":
        return Predictions(outputs.argmax(axis=-1), outputs, list(range(outputs.shape[-1])),
                           "prediction", [])
    return Predictions(outputs[:, 0] if outputs.shape[-1] == 1 else outputs, None, None,
                       "prediction", [])


def _legacy_evaluation(model: Any, metadata: dict[str, Any], data: str,
                       target: Any) -> dict[str, Any]:
    task = metadata.get("task", "regression")
    target = target if target is not None else metadata.get("target")
    X, y = load(data, **_load_options(data, target, metadata.get("data_seed")))
    if y is None:
        raise invalid("target", "mlplab evaluate", "a target column to score against",
                      "data without targets", raw=True)
    X = _legacy_scaled(np.asarray(X, dtype=float), metadata)
    loss = get_loss(_loss(task))
    y_checked = check_targets(model, np.asarray(y), X.shape[0], loss, "mlplab evaluate")
    metric = "accuracy" if task == "classification" else "mae"
    results = evaluate(model, model.check_input(X, "data", "mlplab evaluate"), y_checked, loss,
                       [metric])
    return {"rows": len(X), **{k: float(np.mean(v)) for k, v in results.items()},
            "source": Path(data).name, "target": target, "notes": []}


def _legacy_inputs(source: str, target: Any, metadata: dict[str, Any],
                   n_inputs: int) -> np.ndarray:
    """Every column of a file but the target; without a known target, every column, or all
    but the last where there is one column too many (the old default target)."""
    options = _load_options(source, target, metadata.get("data_seed"))
    if Path(source).suffix.lower() in (".csv", ".tsv") and target is None:
        options["target"] = None
    X = np.asarray(load(source, **options)[0], dtype=float)
    if target is None and X.ndim == 2 and X.shape[1] == n_inputs + 1:
        X = X[:, :-1]
    return _legacy_scaled(X, metadata)


def _load_options(source: str, target: Any, seed: Any) -> dict[str, Any]:
    """A file's target column, or the seed of a generated set (the same data every time)."""
    name = source.replace("-", "_")
    if name in DATASETS:
        takes_seed = "seed" in inspect.signature(DATASETS[name]).parameters
        return {"seed": seed} if takes_seed and seed is not None else {}
    return {"target": target} if target is not None else {}


def _legacy_scaled(X: np.ndarray, metadata: dict[str, Any]) -> np.ndarray:
    config = metadata.get("standardizer")
    return Standardizer.from_config(config).transform(X) if config else X


def _optimizer(name: str, learning_rate: float) -> Any:
    """The named optimizer with the learning rate, if it takes one (solvers do not)."""
    name = OPTIMIZERS.canonical(name, owner="mlplab train", parameter="optimizer")
    rate = OPTIMIZERS.fact(name, "learning_rate")  # the argument's name; None for solvers
    return get_optimizer(name, **({rate: learning_rate} if rate else {}))


def _loss(task: str) -> str:
    return "softmax_crossentropy" if task == "classification" else "mse"
