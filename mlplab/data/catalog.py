"""`load`: one entry point for built-in data sets by name and the user's files by extension."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import check_choice, invalid
from mlplab.data.dataset import Dataset
from mlplab.data.files import load_array, load_csv
from mlplab.data.mnist_1d import mnist1d
from mlplab.data.sklearn_sets import breast_cancer, digits, iris, wine
from mlplab.data.toy import circles, gaussians, moons, spirals, xor
from mlplab.data.tutorial import tutorial_xy


def _tutorial(targets: str | list[float] = "part1") -> Dataset:
    return Dataset(*tutorial_xy(targets))


def _mnist1d_part(part: str = "train", **kwargs: Any) -> Dataset:
    """One part of MNIST-1D: "train" (the default), "test", or "all" (train rows first)."""
    part = check_choice("part", "load", part, ("train", "test", "all"))
    split = mnist1d(**kwargs)
    if part == "all":
        return Dataset(np.concatenate([split.X_train, split.X_test]),
                       np.concatenate([split.y_train, split.y_test]))
    return Dataset(split.X_train, split.y_train) if part == "train" else Dataset(
        split.X_test, split.y_test)


def _load_tsv(path: str | os.PathLike, **kwargs: Any) -> Dataset:
    return load_csv(path, **{"delimiter": "\t", **kwargs})


DATASETS: dict[str, Callable[..., Dataset]] = {
    "tutorial": _tutorial,
    "xor": xor,
    "circles": circles,
    "moons": moons,
    "spirals": spirals,
    "gaussians": gaussians,
    "digits": digits,
    "iris": iris,
    "wine": wine,
    "breast_cancer": breast_cancer,
    "mnist1d": _mnist1d_part,
}
FILE_LOADERS: dict[str, Callable[..., Dataset]] = {
    ".csv": load_csv, ".tsv": _load_tsv, ".npy": load_array, ".npz": load_array,
}


def load(name_or_path: str | os.PathLike, **kwargs: Any) -> Dataset:
    """A data set as ``Dataset(X, y)``: a built-in one by name, or a file by its extension.

    Names (``-`` may stand for ``_``): tutorial (targets="part1" or "part2"), xor,
    circles, moons, spirals, gaussians, digits, iris, wine, breast_cancer, mnist1d
    (part="train", "test" or "all"). Files: .csv and .tsv (`load_csv`), .npy and
    .npz (`load_array`). kwargs go to the loader, for example
    ``load("spirals", arms=3, seed=0)`` or ``load("data.csv", target="label")``.
    X: (n_samples, n_features); y: (n_samples,) or as the loader gives it.
    """
    if isinstance(name_or_path, str) and name_or_path.replace("-", "_") in DATASETS:
        return DATASETS[name_or_path.replace("-", "_")](**kwargs)
    if isinstance(name_or_path, str | os.PathLike):
        loader = FILE_LOADERS.get(Path(name_or_path).suffix.lower())
        if loader is not None:
            return loader(name_or_path, **kwargs)
    expected = (f"one of {', '.join(map(repr, DATASETS))} or a path to a "
                f"{', '.join(FILE_LOADERS)} file")
    raise invalid("name_or_path", "load", expected, name_or_path)
