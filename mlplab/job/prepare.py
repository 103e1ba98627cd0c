"""Before training: the data read, the task decided from the labels (and said), the test
rows held out, the preprocessing fitted on the training rows, and the network built."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from mlplab._checks import check_int, invalid
from mlplab.data import DATASETS, load, train_test_split
from mlplab.data.table import Table, read_table
from mlplab.ensemble import member_seeds
from mlplab.job.settings import ENSEMBLE, ENSEMBLE_CELLS, OWNER, SUFFIXES, TrainSettings
from mlplab.model import MLP
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.preprocessing import TablePreprocessor, detect_task, present


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


def prepare(settings: TrainSettings) -> Prepared:
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
    X, y = encoded(preprocessor, table.take(train))
    X_test, y_test = encoded(preprocessor, table.take(test)) if test is not None else (None,
                                                                                         None)
    if test is not None:
        lines.append(f"test split: {len(test)} rows held out before fitting, {len(train)} "
                     "rows to train on")
    n_out = len(classes) if task == "classification" else 1
    members = ensemble_size(settings, X)
    net = build_network(settings, X.shape[1], n_out, task, members)
    metadata = {"task": task, "n_classes": n_out if task == "classification" else None,
                "target": target, "data_seed": settings.seed,
                "preprocessing": preprocessor.get_config()}
    if members > 1:
        metadata["ensemble"] = members
        averaged = "class probabilities" if task == "classification" else "predictions"
        lines.append(f"ensemble: {members} networks from different random starts, trained "
                     f"side by side; their {averaged} are averaged (--ensemble 1 trains one "
                     "network)")
    elif settings.ensemble is None:
        lines.append(f"ensemble: one network, as for every table of over {ENSEMBLE_CELLS:,} "
                     f"cells ({X.size:,} here); --ensemble {ENSEMBLE} averages {ENSEMBLE} "
                     "networks from different starts")
    return Prepared(X, y, X_test, y_test, net, preprocessor, metadata, lines)


def ensemble_size(settings: TrainSettings, X: np.ndarray) -> int:
    """The networks to train: `settings.ensemble`, or by default ENSEMBLE for a table of at
    most ENSEMBLE_CELLS cells (rows x encoded inputs) and one for a larger one, whose
    networks vary less from start to start and take longer to train."""
    if settings.ensemble is not None:
        return check_int("ensemble", OWNER, settings.ensemble, low=1)
    return ENSEMBLE if X.size <= ENSEMBLE_CELLS else 1


def build_network(settings: TrainSettings, n_in: int, n_out: int, task: str,
                  members: int = 1) -> MLP:
    """The untrained network `settings` describe (the same weights for the same seed): an
    ensemble of `members` networks (a population, `mlplab.ensemble`), or one."""
    members = check_int("ensemble", OWNER, members, low=1)
    return MLP([n_in, *settings.layers, n_out], activation=settings.activation,
               output_activation="softmax" if task == "classification" else "linear",
               seed=member_seeds(settings.seed, members), dropconnect=settings.dropconnect,
               dropout=settings.dropout)


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


def encoded(preprocessor: TablePreprocessor, table: Table) -> tuple[np.ndarray, np.ndarray]:
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
