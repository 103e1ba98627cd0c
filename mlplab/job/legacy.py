"""Model files from before tables: their metadata keeps only the input scaling (the
``standardizer`` key), applied here to numeric files as it was then."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.data import DATASETS, Standardizer, load
from mlplab.io import ModelFileError
from mlplab.job.optimizers import task_loss
from mlplab.job.scoring import Predictions
from mlplab.losses import get_loss
from mlplab.objective import check_targets, evaluate
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS


def legacy_predictions(model: Any, metadata: dict[str, Any], data: str,
                        target: Any) -> Predictions:
    """A model file without preprocessing (saved by `mlplab.save`, or by an older mlplab):
    its inputs are the columns of the data but the target, scaled as its file says."""
    check_not_population(model, "mlplab predict")
    X = _legacy_inputs(data, target if target is not None else metadata.get("target"),
                       metadata, model.n_inputs)
    outputs = np.asarray(model.predict(X))
    if metadata.get("task") == "classification":
        return Predictions(outputs.argmax(axis=-1), outputs, list(range(outputs.shape[-1])),
                           "prediction", [])
    return Predictions(outputs[:, 0] if outputs.shape[-1] == 1 else outputs, None, None,
                       "prediction", [])


def legacy_evaluation(model: Any, metadata: dict[str, Any], data: str,
                       target: Any) -> dict[str, Any]:
    check_not_population(model, "mlplab evaluate")
    task = metadata.get("task", "regression")
    target = target if target is not None else metadata.get("target")
    X, y = load(data, **_load_options(data, target, metadata.get("data_seed")))
    if y is None:
        raise invalid("target", "mlplab evaluate", "a target column to score against",
                      "data without targets", raw=True)
    _check_legacy_width(np.asarray(X), model.n_inputs, data, "mlplab evaluate")
    X = _legacy_scaled(np.asarray(X, dtype=float), metadata)
    loss = get_loss(task_loss(task))
    y_checked = check_targets(model, np.asarray(y), X.shape[0], loss, "mlplab evaluate")
    metric = "accuracy" if task == "classification" else "mae"
    results = evaluate(model, model.check_input(X, "data", "mlplab evaluate"), y_checked, loss,
                       [metric])
    return {"rows": len(X), **{k: float(np.mean(v)) for k, v in results.items()},
            "source": Path(data).name, "target": target, "notes": []}


def check_not_population(model: Any, owner: str) -> None:
    """Refuse a population saved from Python without the "ensemble" record of `mlplab train`:
    its members may be restarts, an alpha sweep or anything else, whose mean means nothing."""
    if model.population:
        raise invalid("model", owner, "one network, or an ensemble saved by mlplab train",
                      f"a population of {model.population[0]} models saved without the "
                      "\"ensemble\" record that says to average them (in Python, "
                      "mlplab.ensemble.mean_prediction averages them, or take one member)",
                      raw=True)


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
