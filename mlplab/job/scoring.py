"""A trained model's scores on rows of a table, beside the trivial answer's, as data and as
a line of text; and what `predict` gives back."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mlplab.ensemble import mean_prediction
from mlplab.job.optimizers import task_loss
from mlplab.losses import get_loss
from mlplab.objective import check_targets, evaluate
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.preprocessing import TablePreprocessor


def scores_of(model: Any, preprocessor: TablePreprocessor, X: np.ndarray, y: np.ndarray,
              *, baseline: np.ndarray | None = None) -> dict[str, Any]:
    """Scores on encoded rows (X, y), in the target's units: accuracy and cross-entropy for
    classes; MAE and RMSE for a regression. baseline: the training targets, to score the
    trivial prediction beside (the most frequent class, or the mean)."""
    outputs = mean_prediction(model, X)
    scores: dict[str, Any] = {"rows": len(X)}
    if preprocessor.task == "classification":
        scores["accuracy"] = float(np.mean(outputs.argmax(axis=-1) == y))
        scores["loss"] = _cross_entropy(model, X, y, outputs)
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


def _cross_entropy(model: Any, X: np.ndarray, y: np.ndarray, proba: np.ndarray) -> float:
    """The mean of -log p(true class): of the averaged probabilities for an ensemble (at
    least the smallest positive float, so a confident miss counts as a large loss, not inf),
    else the training loss on the single network's logits."""
    if not model.population:
        loss = get_loss(task_loss("classification"))
        y_checked = check_targets(model, y, len(X), loss, "mlplab evaluate")
        return float(evaluate(model, X, y_checked, loss)["loss"])
    true = proba[np.arange(len(y)), np.asarray(y, dtype=np.int64)]
    return float(-np.mean(np.log(np.maximum(true, np.finfo(proba.dtype).tiny))))


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


class Predictions(NamedTuple):
    """A saved model's answers: labels (n,) (or values), the class probabilities (n, K) or
    None, the classes or None, the name of what is predicted, and notes on the data."""

    labels: np.ndarray
    proba: np.ndarray | None
    classes: list[Any] | None
    name: str
    notes: list[str]
