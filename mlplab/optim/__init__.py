"""Optimizers as gradient transformations; see `mlplab.optim.base`."""

from mlplab.optim.base import (
    EmptyState,
    GradientTransformation,
    ParamList,
    apply_updates,
    chain,
    per_model,
    per_model_sum,
    population_ndim,
    scale,
)
from mlplab.optim.registry import OPTIMIZERS, get_optimizer
from mlplab.optim.sgd import sgd

__all__ = [
    "OPTIMIZERS",
    "EmptyState",
    "GradientTransformation",
    "ParamList",
    "apply_updates",
    "chain",
    "get_optimizer",
    "per_model",
    "per_model_sum",
    "population_ndim",
    "scale",
    "sgd",
]
