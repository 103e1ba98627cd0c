"""A saved model on new data: predictions (labels, and probabilities for classes) and
scores, its preprocessing applied by column name."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.ensemble import mean_prediction
from mlplab.io import load_with_metadata
from mlplab.job.legacy import legacy_evaluation, legacy_predictions
from mlplab.job.prepare import encoded, read_data
from mlplab.job.scoring import Predictions, scores_of
from mlplab.preprocessing import IMPUTE as IMPUTE
from mlplab.preprocessing import TASKS as TASKS
from mlplab.preprocessing import TablePreprocessor, present


def predict_job(model_path: str, data: str, target: Any = None, *,
                delimiter: str | None = None) -> Predictions:
    """Predictions of a saved model on data, with its columns matched by name."""
    _check_delimiter(delimiter, "mlplab predict")
    model, metadata = load_with_metadata(model_path)
    if "preprocessing" not in metadata:
        return legacy_predictions(model, metadata, data, target)
    preprocessor = TablePreprocessor.from_config(metadata["preprocessing"])
    table = read_data(data, delimiter, metadata.get("data_seed"), "mlplab predict")
    outputs = mean_prediction(model, preprocessor.transform(table, "mlplab predict"))
    classification = preprocessor.task == "classification"
    return Predictions(preprocessor.decode(outputs), outputs if classification else None,
                       preprocessor.classes, preprocessor.target,
                       [*table.notes, *preprocessor.unseen(table)])


def evaluate_job(model_path: str, data: str, target: Any = None, *,
                 delimiter: str | None = None) -> dict[str, Any]:
    """Scores of a saved model on labelled data (see `scores_of`), and what was scored:
    "rows", "source", "target", "notes"."""
    _check_delimiter(delimiter, "mlplab evaluate")
    model, metadata = load_with_metadata(model_path)
    if "preprocessing" not in metadata:
        return legacy_evaluation(model, metadata, data, target)
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
    X, y = encoded(preprocessor, table)
    scores = scores_of(model, preprocessor, X, y)
    return {**scores, "source": table.source, "target": preprocessor.target, "notes": notes}


def _check_delimiter(delimiter: Any, owner: str) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise invalid("delimiter", owner, "a single character such as ',' or '\\t'", delimiter)
