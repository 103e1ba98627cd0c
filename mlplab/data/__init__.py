"""Data: the tutorials' arrays, toy sets, bundled and generated sets, the user's files,
splits and standardization.

    >>> from mlplab.data import load, train_test_split, Standardizer
    >>> X, y = load("moons", n_samples=400, noise=0.2, seed=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, seed=0, stratify=True)
    >>> scaler = Standardizer().fit(X_train)
    >>> X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
"""

from mlplab.data.catalog import DATASETS, FILE_LOADERS, load
from mlplab.data.dataset import Dataset
from mlplab.data.files import load_array, load_csv
from mlplab.data.mnist_1d import mnist1d
from mlplab.data.scaling import Standardizer
from mlplab.data.sklearn_sets import breast_cancer, digits, iris, wine
from mlplab.data.splitting import TrainTest, TrainValTest, train_test_split, train_val_test_split
from mlplab.data.surfaces import bumps, plane
from mlplab.data.table import Table, read_table
from mlplab.data.toy import circles, gaussians, moons, spirals, xor
from mlplab.data.tutorial import TUTORIAL_TARGETS, TUTORIAL_X, tutorial_xy

__all__ = [
    "DATASETS",
    "FILE_LOADERS",
    "TUTORIAL_TARGETS",
    "TUTORIAL_X",
    "Dataset",
    "Standardizer",
    "Table",
    "TrainTest",
    "TrainValTest",
    "breast_cancer",
    "bumps",
    "circles",
    "digits",
    "gaussians",
    "iris",
    "load",
    "load_array",
    "load_csv",
    "mnist1d",
    "moons",
    "plane",
    "read_table",
    "spirals",
    "train_test_split",
    "train_val_test_split",
    "tutorial_xy",
    "wine",
    "xor",
]
