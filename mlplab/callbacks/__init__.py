"""Callbacks: small objects whose hooks the training loop calls, one per module."""

from mlplab.callbacks.base import Callback, overrides
from mlplab.callbacks.checkpoint import Checkpoint
from mlplab.callbacks.direction_changes import DirectionChanges
from mlplab.callbacks.divergence import DivergenceError, DivergenceGuard
from mlplab.callbacks.dynamics import TrainingDynamics
from mlplab.callbacks.early_stopping import EarlyStopping
from mlplab.callbacks.lr_scheduler import LearningRateScheduler
from mlplab.callbacks.print_error import PrintError
from mlplab.callbacks.progress import ProgressBar
from mlplab.callbacks.weight_path import WeightPath

__all__ = [
    "Callback",
    "Checkpoint",
    "DirectionChanges",
    "DivergenceError",
    "DivergenceGuard",
    "EarlyStopping",
    "LearningRateScheduler",
    "PrintError",
    "ProgressBar",
    "TrainingDynamics",
    "WeightPath",
    "overrides",
]
