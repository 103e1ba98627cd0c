"""The playground's data: a built-in set or an uploaded CSV, split, turned into input features.

The steps are the ones the downloaded script writes out (`mlplab.playground.script`),
in the same order with the same seeds, so the script trains on the same rows:

1. two raw coordinates per point, X2: (n, 2), and labels or values y: (n,);
2. a train/test split (stratified for classes) with the run's seed;
3. the input features computed from X2 (x1, x2, their squares and product,
   sin(pi x1), sin(pi x2)).

An uploaded CSV's two chosen columns are standardized with the training rows'
mean and standard deviation, so a file in any units trains with the same
learning rates as the built-in sets.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import NamedTuple

import numpy as np

from mlplab._checks import invalid
from mlplab.data import (
    Standardizer,
    bumps,
    circles,
    gaussians,
    load_csv,
    moons,
    plane,
    spirals,
    train_test_split,
    tutorial_xy,
    xor,
)
from mlplab.playground.settings import OWNER, REGRESSION_SETS, Settings

MAX_UPLOAD_BYTES = 2_000_000
MAX_CLASSES = 10  # integer labels with more distinct values than this are taken as values

GENERATORS = {"xor": xor, "circles": circles, "moons": moons, "spirals": spirals,
              "gaussians": gaussians, "plane": plane, "bumps": bumps}

# name -> (function of the raw points x: (n, 2), the same as Python text, label on the page)
FEATURES = {
    "x1": (lambda x: x[:, 0], "x[:, 0]", "x₁"),
    "x2": (lambda x: x[:, 1], "x[:, 1]", "x₂"),
    "x1sq": (lambda x: x[:, 0] ** 2, "x[:, 0] ** 2", "x₁²"),
    "x2sq": (lambda x: x[:, 1] ** 2, "x[:, 1] ** 2", "x₂²"),
    "x1x2": (lambda x: x[:, 0] * x[:, 1], "x[:, 0] * x[:, 1]", "x₁x₂"),
    "sinx1": (lambda x: np.sin(np.pi * x[:, 0]), "np.sin(np.pi * x[:, 0])", "sin(πx₁)"),
    "sinx2": (lambda x: np.sin(np.pi * x[:, 1]), "np.sin(np.pi * x[:, 1])", "sin(πx₂)"),
}


class Upload(NamedTuple):
    """An uploaded table: column names and the numbers, (n_rows, n_columns)."""

    name: str
    columns: list[str]
    table: np.ndarray


class PlaygroundData(NamedTuple):
    """One run's data. points_*: the raw coordinates (n, 2), for drawing; X_*: the features.

    y_*: labels (n,) int for classes, values (n,) float for regression.
    task: "binary", "multiclass" or "regression"; domain: (x_min, x_max, y_min, y_max).
    """

    points_train: np.ndarray
    y_train: np.ndarray
    points_test: np.ndarray
    y_test: np.ndarray
    task: str
    n_classes: int
    domain: tuple[float, float, float, float]
    axis_names: tuple[str, str]


def input_features(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The chosen features of raw points. points: (n, 2) -> (n, len(names))."""
    return np.column_stack([FEATURES[name][0](points) for name in names])


def make_data(settings: Settings, upload: Upload | None = None) -> PlaygroundData:
    """The split data for `settings` (data="csv" needs `upload`)."""
    points, y, task, n_classes, names = _raw(settings, upload)
    if settings.data == "table":  # four rows: every one is both trained on and shown as test
        train_points, test_points, y_train, y_test = points, points, y, y
    else:
        train_points, test_points, y_train, y_test = train_test_split(
            points, y, test_size=1 - settings.ratio / 100, seed=settings.seed,
            stratify=task != "regression")
    if settings.data == "csv":
        scaler = Standardizer().fit(train_points)
        train_points, test_points = scaler.transform(train_points), scaler.transform(test_points)
    return PlaygroundData(train_points, y_train, test_points, y_test, task, n_classes,
                          _domain(np.concatenate([train_points, test_points])), names)


def _raw(settings: Settings, upload: Upload | None
         ) -> tuple[np.ndarray, np.ndarray, str, int, tuple[str, str]]:
    """(points (n, 2), y (n,), task, number of classes, axis names)."""
    if settings.data == "csv":
        return _from_upload(settings, upload)
    if settings.data == "table":
        X, y = tutorial_xy("part2")
        return X[:, :2], y[:, 0].astype(np.int64), "binary", 2, ("x1", "x2")
    data = GENERATORS[settings.data](settings.n, noise=settings.noise, seed=settings.seed)
    if settings.data in REGRESSION_SETS:
        return data.X, data.y, "regression", 0, ("x1", "x2")
    return data.X, data.y, "binary", 2, ("x1", "x2")


def _domain(points: np.ndarray) -> tuple[float, float, float, float]:
    """A square around the points with a margin, so the boundary shows beyond them."""
    low, high = points.min(axis=0), points.max(axis=0)
    center, half = (low + high) / 2, max(float((high - low).max()) / 2, 1e-6) * 1.15
    return (float(center[0] - half), float(center[0] + half),
            float(center[1] - half), float(center[1] + half))


def _from_upload(settings: Settings, upload: Upload | None
                 ) -> tuple[np.ndarray, np.ndarray, str, int, tuple[str, str]]:
    if upload is None:
        raise invalid("data", OWNER, "an uploaded CSV file first (use 'Upload CSV')", "csv")
    ix, iy, il = upload_columns(settings, upload)
    points, labels = upload.table[:, [ix, iy]], upload.table[:, il]
    task, y, n_classes = label_task(labels)
    return points, y, task, n_classes, (upload.columns[ix], upload.columns[iy])


def upload_columns(settings: Settings, upload: Upload) -> tuple[int, int, int]:
    """Indices of the chosen x, y and label columns (default: the first two and the last)."""
    defaults = (0, 1, len(upload.columns) - 1)
    chosen = []
    for key, default in zip(("cx", "cy", "label"), defaults, strict=True):
        name = getattr(settings, key)
        if not name:
            chosen.append(default)
        elif name in upload.columns:
            chosen.append(upload.columns.index(name))
        else:
            raise invalid(key, OWNER, f"a column of {upload.name}: "
                          f"{', '.join(upload.columns)}", name)
    if len(set(chosen)) < 3:
        raise invalid("label", OWNER, "three different columns for x, y and the label",
                      ", ".join(upload.columns[i] for i in chosen), raw=True)
    return chosen[0], chosen[1], chosen[2]


def label_task(labels: np.ndarray) -> tuple[str, np.ndarray, int]:
    """Classes when the labels are few integers (mapped to 0..K-1), else regression values."""
    values = np.unique(labels)
    if len(values) <= MAX_CLASSES and np.all(values == np.round(values)):
        classes = np.searchsorted(values, labels).astype(np.int64)
        return ("binary" if len(values) <= 2 else "multiclass"), classes, max(len(values), 2)
    return "regression", labels.astype(np.float64), 0


def read_upload(name: str, content: bytes) -> Upload:
    """Parse an uploaded CSV with `load_csv` (its errors name the column and line)."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise invalid("file", OWNER, f"a CSV file of at most {MAX_UPLOAD_BYTES} bytes",
                      f"{name} of {len(content)} bytes", raw=True)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("file", OWNER, "a UTF-8 text file", name) from None
    first = next(csv.reader(io.StringIO(text)), [])
    fd, path = tempfile.mkstemp(suffix=".csv", prefix="mlplab-upload-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        table = load_csv(path, target=None).X
    except ValueError as error:  # say the user's file name, not our temporary one
        raise ValueError(str(error).replace(os.path.basename(path), name)) from None
    finally:
        os.unlink(path)
    if table.ndim != 2 or table.shape[1] < 3 or len(table) < 4:
        raise invalid("file", OWNER, "a table of at least 3 columns (two features and a label) "
                      "and 4 rows", f"{name} with shape {table.shape}", raw=True)
    has_header = not any(_is_number(field) for field in first)
    columns = ([c.strip() or f"column {i + 1}" for i, c in enumerate(first)] if has_header
               else [f"column {i + 1}" for i in range(table.shape[1])])
    return Upload(name, columns, table)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
