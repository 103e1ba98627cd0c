"""Standardization: every feature to zero mean and unit variance, with training statistics."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import as_float_array, invalid


class Standardizer:
    """Scale features by the training set's statistics: z = (x - mean_) / scale_.

    X: (n_samples, n_features). mean_ and scale_ (the population standard
    deviation, ddof 0): (n_features,), learned by `fit`. A constant column gets
    scale_ 1 and mean_ its value, so it becomes exactly 0 rather than a division
    by zero. Float32 data stays float32; the statistics are kept in float64.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: Any) -> Standardizer:
        """Learn mean_ and scale_ from X: (n_samples, n_features)."""
        X = as_float_array("X", "Standardizer.fit", X, ndim=(2,))
        constant = np.ptp(X, axis=0) == 0  # exact, unlike a std that rounds to 1e-17
        self.mean_ = np.where(constant, X[0], X.mean(axis=0))
        self.scale_ = np.where(constant, 1.0, X.std(axis=0))
        return self

    def transform(self, X: Any) -> np.ndarray:
        """(X - mean_) / scale_. X: (n_samples, n_features) -> same shape."""
        X = self._check(X, "transform")
        return (X - self.mean_.astype(X.dtype)) / self.scale_.astype(X.dtype)

    def fit_transform(self, X: Any) -> np.ndarray:
        """`fit` on X, then `transform` it."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Back to the original units: Z * scale_ + mean_. Z: (n_samples, n_features)."""
        Z = self._check(Z, "inverse_transform")
        return Z * self.scale_.astype(Z.dtype) + self.mean_.astype(Z.dtype)

    def get_config(self) -> dict[str, Any]:
        """The learned statistics as JSON-ready lists (None before `fit`)."""
        return {"mean": None if self.mean_ is None else self.mean_.tolist(),
                "scale": None if self.scale_ is None else self.scale_.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Standardizer:
        """A Standardizer with the statistics of `get_config()`."""
        scaler = cls()
        if not isinstance(config, dict) or set(config) != {"mean", "scale"}:
            raise invalid("config", "Standardizer.from_config", "a dict with the keys 'mean' "
                          "and 'scale', as get_config() writes", config)
        if config["mean"] is None and config["scale"] is None:
            return scaler
        mean, scale = (_statistics(config[key]) for key in ("mean", "scale"))
        if mean is None or scale is None or len(mean) != len(scale) or np.any(scale <= 0):
            raise invalid("config", "Standardizer.from_config", "'mean' and 'scale' as lists "
                          "of finite numbers of one length, every scale positive", config)
        scaler.mean_, scaler.scale_ = mean, scale
        return scaler

    def __repr__(self) -> str:
        fitted = "unfitted" if self.mean_ is None else f"{len(self.mean_)} features"
        return f"Standardizer({fitted})"

    def _check(self, X: Any, method: str) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError(f"Standardizer.{method} needs statistics: call fit(X_train) "
                               "first.")
        X = as_float_array("X", f"Standardizer.{method}", X, ndim=(2,), dtype=None)
        X = X if X.dtype.kind == "f" else X.astype(np.float64)
        if X.shape[1] != len(self.mean_):
            raise ValueError(f"The 'X' parameter of Standardizer.{method} must have "
                             f"{len(self.mean_)} columns, as in fit. Got {X.shape[1]} instead.")
        return X


def _statistics(values: Any) -> np.ndarray | None:
    """A config's list of finite numbers as float64 (n_features,), or None if it is not one."""
    if not isinstance(values, list) or not values or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return None
    array = np.asarray(values, dtype=np.float64)
    return array if np.all(np.isfinite(array)) else None
