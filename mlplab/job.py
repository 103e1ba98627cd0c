"""Training jobs as the command line runs them: settings in, model file and summary out.

A `TrainSettings` holds everything `mlplab train` takes, from flags or a TOML
file (flags win). `train_job` reads the data (a built-in name or the user's
table), decides the task from the target's labels and says why, holds out the
test rows (``test_split``) before anything is fitted, fits the preprocessing
(`mlplab.preprocessing.TablePreprocessor`) on the training rows, trains an MLP
until the validation loss stops improving (with a checkpoint every epoch), then
by default trains a fresh network on all the training rows for the steps that
took (`_refit`), with a weight decay of PRIOR_STRENGTH / rows (`_weight_decay`),
scores the test rows, and saves the model with its preprocessing as data, which
`predict_job`, `evaluate_job` and ONNX export apply to new tables by column name.

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
import math
import tomllib
import types
import typing
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.callbacks import Checkpoint, EarlyStopping
from mlplab.checkpoint import read_checkpoint_metadata
from mlplab.data import DATASETS, Standardizer, load, train_test_split
from mlplab.data.table import Table, read_table
from mlplab.history import History
from mlplab.io import ModelFileError, read_metadata, save
from mlplab.io import load as load_model
from mlplab.lab.lr_find import lr_find
from mlplab.losses import LOSSES, get_loss
from mlplab.model import MLP
from mlplab.objective import check_targets, evaluate
from mlplab.optim import OPTIMIZERS, chain, clip_by_global_norm, get_optimizer, l2_penalty
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.preprocessing import TablePreprocessor, detect_task, present
from mlplab.train import fit

OWNER = "mlplab train"
SUFFIXES = (".csv", ".tsv", ".tab", ".txt", ".npy", ".npz", ".parquet", ".pq")
# The defaults, the same for every data set (bench/real_data.py measures them):
DEFAULT_PATIENCE = 20
PRIOR_STRENGTH = 3.0  # the default weight decay is PRIOR_STRENGTH / rows (_weight_decay)
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
    validation_split: float | None = None  # None: VALIDATION_SPLIT with early stopping
    seed: int = 0
    standardize: bool = True
    dropconnect: float = 0.0
    dropout: float = 0.0
    loss: str | None = None  # None: the task's (softmax cross-entropy, or mse)
    weight_decay: float | None = None  # None: PRIOR_STRENGTH / rows (_weight_decay)
    clip_norm: float | None = None
    early_stopping: bool = True
    patience: int | None = None  # None: DEFAULT_PATIENCE, with early_stopping only
    refit: bool = True  # after early stopping, train afresh on all rows for its steps
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
    lines = [f"target: {target!r}{where}", *(f"read: {note}" for note in table.notes)]
    if not labelled.any():
        raise invalid("target", "mlplab train", "a column with values to learn",
                      f"{target!r}, which is missing in all {table.n_rows} rows", raw=True)
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
    net = _network(settings, X.shape[1], n_out, task)
    metadata = {"task": task, "n_classes": n_out if task == "classification" else None,
                "target": target, "data_seed": settings.seed,
                "preprocessing": preprocessor.get_config()}
    return Prepared(X, y, X_test, y_test, net, preprocessor, metadata, lines)


def _network(settings: TrainSettings, n_in: int, n_out: int, task: str) -> MLP:
    """The untrained network `settings` describe (the same weights for the same seed)."""
    return MLP([n_in, *settings.layers, n_out], activation=settings.activation,
               output_activation="softmax" if task == "classification" else "linear",
               seed=settings.seed, dropconnect=settings.dropconnect, dropout=settings.dropout)


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
    train, test = np.sort(parts.X_train), np.sort(parts.X_test)
    if len(train) < 2:
        raise invalid("test_split", "mlplab train", f"a fraction that leaves at least 2 of "
                      f"the {len(rows)} rows to train on", f"{fraction} (it leaves "
                      f"{len(train)})", raw=True)
    if task == "classification":
        absent = sorted({str(v) for v in labels[test]} - {str(v) for v in labels[train]})
        if absent:
            raise invalid("test_split", "mlplab train", "a fraction that leaves rows of every "
                          "class to train on", f"{fraction}, which holds out every row of the "
                          f"classes {', '.join(map(repr, absent[:5]))}", raw=True)
    return train, test


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


def train_job(settings: TrainSettings, *, announce: Callable[[str], Any] | None = None
              ) -> tuple[Any, History, dict[str, Any]]:
    """Run `settings`: returns the trained model, its History and the saved metadata.

    announce: called once before training with what was prepared (the columns,
    the task) and the network's `summary()`, so the command line can show them
    before the epochs start.

    metadata["summary"] holds the lines that say what was done (columns, task,
    training, the test score); a run stopped by the epoch cap while the validation
    loss still improved also warns (`NotConverged`). With early stopping on
    validation rows and `refit` (the defaults), the model returned is a fresh
    network trained on all the training rows for the steps early stopping chose
    (see `_refit`); the History is the first run's, with its validation curves.
    A full-batch solver trains on all rows at once (`batch_size` is not used)
    for at most `epochs` iterations.
    """
    _optimizer(settings, rows=1)  # its settings checked before the data are read
    prepared = _prepared(settings)
    net, task, metadata = prepared.net, prepared.metadata["task"], prepared.metadata
    optimizer = _optimizer(settings, rows=_fit_rows(settings, len(prepared.X)))
    loss = _training_loss(settings.loss, task)
    if settings.resume:
        _check_same_data(settings.resume, metadata)
    callbacks = _callbacks(settings, metadata)
    stopper = next((c for c in callbacks if isinstance(c, EarlyStopping)), None)
    if announce is not None:
        announce("\n".join([*prepared.lines, net.summary()]))
    batch_size = (None if full_batch(settings.optimizer) else
                  _batch_size(settings.batch_size, _fit_rows(settings, len(prepared.X))))
    history = fit(net, prepared.X, prepared.y, loss=loss, epochs=settings.epochs,
                  optimizer=optimizer, batch_size=batch_size, seed=settings.seed,
                  validation_split=_validation_split(settings),
                  metrics=["accuracy"] if task == "classification" else ["mae"],
                  callbacks=callbacks, progress=settings.progress, resume_from=settings.resume)
    refitted = None
    if settings.refit and stopper is not None and _validation_split(settings) is not None:
        net, refitted = _refit(settings, prepared, loss, stopper, batch_size)
    lines = [*prepared.lines, _stopping_line(settings, stopper, history, batch_size,
                                             len(prepared.X), refitted)]
    metadata = dict(metadata)  # the checkpoints keep the one they were given
    if prepared.X_test is not None:
        metadata["test"] = scores_of(net, prepared.preprocessor, prepared.X_test,
                                     prepared.y_test, baseline=prepared.y)
        lines.append("test: " + scores_text(metadata["test"]))
    metadata["summary"] = lines
    if settings.save:
        save(net, settings.save, metadata=metadata)
    return net, history, metadata


def _refit(settings: TrainSettings, prepared: Prepared, loss: str, stopper: EarlyStopping,
           batch_size: int | None) -> tuple[MLP, str]:
    """A fresh network trained on every training row for the steps that reached the best epoch.

    Early stopping holds out VALIDATION_SPLIT of the rows to choose how long to
    train; once that length is known, the held-out rows are put back and the
    same network (the same initial weights) is trained on all rows for as many
    gradient steps as the first run took to its best epoch (Goodfellow, Bengio
    and Courville, Deep Learning, 2016, algorithm 7.2). On small data sets the
    rows held out are a fifth of what there is to learn from. No checkpoint:
    the run is short, and a resumed run refits the same way from the first
    run's last checkpoint.
    """
    best = int(np.max(stopper.best_epoch)) + 1
    rows = _fit_rows(settings, len(prepared.X))
    steps = best * (-(-rows // batch_size) if batch_size else 1)
    net = _network(settings, prepared.X.shape[1], prepared.net.n_outputs,
                   prepared.metadata["task"])
    fit(net, prepared.X, prepared.y, loss=loss, iterations=steps,
        optimizer=_optimizer(settings, rows=len(prepared.X)), batch_size=batch_size,
        seed=settings.seed, progress=settings.progress)
    return net, (f"then trained afresh on all {len(prepared.X)} training rows for the {steps} "
                 f"steps to it (--no-refit keeps the early-stopped network)")


def _callbacks(settings: TrainSettings, metadata: dict[str, Any]) -> list[Any]:
    """Early stopping (on by default), and the checkpoint, which records the run's settings."""
    if settings.patience is not None and not settings.early_stopping:
        raise invalid("patience", OWNER, "left out unless early stopping is on "
                      "(the default; early_stopping = true)", settings.patience)
    callbacks: list[Any] = []
    if settings.early_stopping:  # the validation loss if there is one, else the training loss
        monitor = "val_loss" if _validation_split(settings) else "loss"
        patience = DEFAULT_PATIENCE if settings.patience is None else settings.patience
        callbacks.append(EarlyStopping(monitor, patience=patience, min_delta=MIN_DELTA,
                                       restore_best_weights=True))
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


def _validation_split(settings: TrainSettings) -> float | None:
    """The rows held out to watch: as asked, or VALIDATION_SPLIT for early stopping (not for
    the full-batch solvers, which watch the training loss)."""
    if settings.validation_split is None and settings.early_stopping and not full_batch(
            settings.optimizer):
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
    return max(1, min(BATCH_SIZE, max(MIN_BATCH, n_rows // MIN_STEPS), n_rows))


def _stopping_line(settings: TrainSettings, stopper: EarlyStopping | None, history: History,
                   batch_size: int | None, n_rows: int, refitted: str | None = None) -> str:
    """How training ended, with a warning when the epoch cap cut it short while improving.

    A full-batch solver that stopped before the cap (converged) says so, with its reason;
    refitted: what `_refit` did after, instead of "(its weights kept)".
    """
    epochs = len(history)
    kept = " (its weights kept)" if refitted is None else f"; {refitted}"
    ran = (f"trained for {epochs} epochs in batches of {batch_size}" if batch_size else
           f"trained for {epochs} iterations on all rows at once")
    if batch_size and settings.weight_decay is None:
        rows = _fit_rows(settings, n_rows)
        ran += f" with weight decay {PRIOR_STRENGTH:g}/{rows} = {_weight_decay(rows):.3g}"
    capped = epochs >= settings.epochs
    if not capped and history.stop_reason and (stopper is None or stopper.stopped_epoch is None):
        ran = f"{ran}, until the solver stopped ({history.stop_reason[0]})"
    if stopper is None:
        return ran
    best = int(np.max(stopper.best_epoch)) + 1
    watched = "validation loss" if stopper.monitor == "val_loss" else "training loss"
    if stopper.stopped_epoch is not None:
        return f"{ran}: stopped early, the {watched} last improved at epoch {best}{kept}"
    if capped and epochs - best < (settings.patience or DEFAULT_PATIENCE):
        message = (f"training reached the epoch cap ({settings.epochs}) while the {watched} "
                   f"was still improving (best at epoch {best}): raise --epochs")
        warnings.warn(message, NotConverged, stacklevel=3)
        return f"{ran}; warning: {message}"
    return f"{ran}: the {watched} was best at epoch {best}{kept}"


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
                   loss=_training_loss(settings.loss, prepared.metadata["task"]),
                   optimizer=settings.optimizer,
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
    _check_delimiter(delimiter, "mlplab predict")
    model, metadata = load_model(model_path), read_metadata(model_path)
    if "preprocessing" not in metadata:
        return _legacy_predictions(model, metadata, data, target)
    preprocessor = TablePreprocessor.from_config(metadata["preprocessing"])
    table = read_data(data, delimiter, metadata.get("data_seed"), "mlplab predict")
    outputs = np.asarray(model.predict(preprocessor.transform(table, "mlplab predict")))
    classification = preprocessor.task == "classification"
    return Predictions(preprocessor.decode(outputs), outputs if classification else None,
                       preprocessor.classes, preprocessor.target,
                       [*table.notes, *preprocessor.unseen(table)])


def evaluate_job(model_path: str, data: str, target: Any = None, *,
                 delimiter: str | None = None) -> dict[str, Any]:
    """Scores of a saved model on labelled data (see `scores_of`), and what was scored:
    "rows", "source", "target", "notes"."""
    _check_delimiter(delimiter, "mlplab evaluate")
    model, metadata = load_model(model_path), read_metadata(model_path)
    if "preprocessing" not in metadata:
        return _legacy_evaluation(model, metadata, data, target)
    preprocessor = TablePreprocessor.from_config(metadata["preprocessing"])
    table = read_data(data, delimiter, metadata.get("data_seed"), "mlplab evaluate")
    if preprocessor.target not in table.names:
        raise invalid("data", "mlplab evaluate", f"a table with the target column "
                      f"{preprocessor.target!r} to score against", table.source)
    preprocessor.check_columns(table, "mlplab evaluate")
    labelled = present(table.column(preprocessor.target))
    notes = [*table.notes, *preprocessor.unseen(table)]
    if not labelled.any():
        raise invalid("data", "mlplab evaluate", f"a table with values of the target "
                      f"{preprocessor.target!r} to score against",
                      f"{table.source}, where it is missing in all {table.n_rows} rows",
                      raw=True)
    if not labelled.all():
        notes.append(f"{int((~labelled).sum())} rows without a target left out")
        table = table.take(np.flatnonzero(labelled))
    X, y = _encoded(preprocessor, table)
    scores = scores_of(model, preprocessor, X, y)
    return {**scores, "source": table.source, "target": preprocessor.target, "notes": notes}


def _check_delimiter(delimiter: Any, owner: str) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise invalid("delimiter", owner, "a single character such as ',' or '\\t'", delimiter)


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
    _check_legacy_width(np.asarray(X), model.n_inputs, data, "mlplab evaluate")
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
    _check_legacy_width(X, n_inputs, source, "mlplab predict")
    return _legacy_scaled(X, metadata)


def _check_legacy_width(X: np.ndarray, n_inputs: int, source: str, owner: str) -> None:
    if X.ndim != 2 or X.shape[1] != n_inputs:
        raise invalid("data", owner, f"a table of the {n_inputs} input columns the model "
                      "file (saved without column names) takes, and its target",
                      f"{Path(source).name} with {X.shape[-1]} input columns", raw=True)


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


def legacy_preprocessing(metadata: dict[str, Any], model: Any) -> dict[str, Any] | None:
    """The `TablePreprocessor` config that does what an older model file's metadata says
    (its "standardizer": z = (x - mean) / scale on the columns "0".."k-1"), so that ONNX
    export scales the inputs as `predict` does; None when the file has no standardizer.
    Classes are the output indices 0..K-1, as `predict` gives them for such a file."""
    config = metadata.get("standardizer")
    if not config:
        return None
    scaler = Standardizer.from_config(config)
    if scaler.mean_ is None:
        return None
    if len(scaler.mean_) != model.n_inputs:
        raise ModelFileError(f"the model file's standardizer has {len(scaler.mean_)} columns "
                             f"but its network {model.n_inputs} inputs")
    task = "classification" if metadata.get("task") == "classification" else "regression"
    names = [str(j) for j in range(model.n_inputs)]
    target = metadata.get("target")
    preprocessing: dict[str, Any] = {
        "columns": names, "target": str(target) if target is not None else "prediction",
        "task": task, "impute": "none", "texts": [], "ignored": {}, "summary": [],
        "numbers": [{"name": n, "fill": m, "mean": m, "scale": s}
                    for n, m, s in zip(names, scaler.mean_.tolist(), scaler.scale_.tolist(),
                                       strict=True)]}
    if task == "classification":
        preprocessing["classes"] = list(range(model.n_outputs))
    else:
        preprocessing["target_mean"], preprocessing["target_scale"] = 0.0, 1.0
    return preprocessing


def full_batch(name: str) -> bool:
    """Whether the optimizer `name` is a full-batch solver (its registry fact says so)."""
    name = OPTIMIZERS.canonical(name, owner=OWNER, parameter="optimizer")
    return bool(OPTIMIZERS.fact(name, "full_batch"))


def _optimizer(settings: TrainSettings, *, rows: int) -> Any:
    """The named optimizer at the learning rate, after gradient clipping and weight decay.

    Clipping rescales the loss's gradient to a global norm of at most
    `clip_norm`; weight decay then adds ``weight_decay * W`` to it (an L2
    penalty), or is the optimizer's own argument when it takes one (AdamW's
    decoupled decay, SGD's); left out, it is `_weight_decay(rows)`, `rows` the
    rows the steps see. Solvers take neither: they minimize the loss alone.
    """
    name = OPTIMIZERS.canonical(settings.optimizer, owner=OWNER, parameter="optimizer")
    if full_batch(name):
        _check_solver_settings(name, settings)
        return get_optimizer(name, owner=OWNER)
    options = {OPTIMIZERS.fact(name, "learning_rate"): settings.learning_rate}
    decay = _weight_decay(rows) if settings.weight_decay is None else settings.weight_decay
    own_decay = "weight_decay" in inspect.signature(OPTIMIZERS[name]).parameters
    if decay is not None and own_decay:
        options["weight_decay"] = decay
    links = [] if settings.clip_norm is None else [clip_by_global_norm(settings.clip_norm)]
    if decay is not None and not own_decay:
        links.append(l2_penalty(decay))
    step = get_optimizer(name, owner=OWNER, **options)
    return chain(*links, step) if links else step


def _weight_decay(rows: int) -> float:
    """The default weight decay, PRIOR_STRENGTH / rows.

    Training minimizes the mean loss over the rows, (1/n) sum_i l_i; a Gaussian
    prior on the weights, W ~ N(0, 1/lambda), adds (lambda/2) |W|^2 to the
    *sum* of the losses (the maximum a posteriori fit), which for the mean is
    the penalty (lambda / 2n) |W|^2, whose gradient is (lambda / n) W: a weight
    decay of lambda / n. So the prior's pull stays the same while the data's
    grows with n: small data sets are held close to small weights, large ones
    hardly (scikit-learn's `alpha` is the same lambda, at 1e-4).
    """
    return PRIOR_STRENGTH / max(rows, 1)


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
