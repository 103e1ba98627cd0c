"""scikit-learn's bundled data sets: installed with it, no download.

scikit-learn is an optional extra (``pip install "mlplab[sklearn]"``), imported
only when one of these is called.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np

from mlplab.data.dataset import Dataset


def digits() -> Dataset:
    """8x8 images of handwritten digits, pixels 0..16. X: (1797, 64); y: (1797,), 10 classes."""
    return _bundled("load_digits", "digits")


def iris() -> Dataset:
    """Fisher's iris flowers. X: (150, 4) in cm; y: (150,), 3 classes of 50."""
    return _bundled("load_iris", "iris")


def wine() -> Dataset:
    """Chemical analysis of three Italian wines. X: (178, 13); y: (178,), 3 classes."""
    return _bundled("load_wine", "wine")


def breast_cancer() -> Dataset:
    """Wisconsin diagnostic breast cancer. X: (569, 30); y: (569,), 0 malignant, 1 benign."""
    return _bundled("load_breast_cancer", "breast_cancer")


def _bundled(loader: str, name: str) -> Dataset:
    X, y = getattr(_sklearn_datasets(name), loader)(return_X_y=True)
    return Dataset(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64))


def _sklearn_datasets(name: str) -> ModuleType:
    try:
        return importlib.import_module("sklearn.datasets")
    except ImportError as error:
        raise ImportError(f"The {name!r} data set comes with scikit-learn, which is not "
                          'installed: pip install "mlplab[sklearn]"') from error
