"""Callbacks: small objects whose hooks the training loop calls, one per module.

`CALLBACKS` registers every callback by its class name (with a snake_case
alias), and `callback_from_config` builds any of them from its
``get_config()``: ``callback_from_config({"type": "EarlyStopping", "patience": 5})``.
"""

from __future__ import annotations

from typing import Any

from mlplab._checks import built_from_config, invalid
from mlplab.callbacks.base import Callback, Resumable, overrides
from mlplab.callbacks.checkpoint import Checkpoint
from mlplab.callbacks.direction_changes import DirectionChanges
from mlplab.callbacks.divergence import DivergenceError, DivergenceGuard
from mlplab.callbacks.dynamics import TrainingDynamics
from mlplab.callbacks.early_stopping import EarlyStopping
from mlplab.callbacks.lr_scheduler import LearningRateScheduler
from mlplab.callbacks.member_steps import MemberSteps
from mlplab.callbacks.plateau import ReducePlateau
from mlplab.callbacks.print_error import PrintError
from mlplab.callbacks.progress import ProgressBar
from mlplab.callbacks.tensorboard import TensorBoard
from mlplab.callbacks.validation import Validation
from mlplab.callbacks.weight_path import WeightPath
from mlplab.registry import Registry

CALLBACKS = Registry("callback")
for _cls, _alias in [
    (Checkpoint, "checkpoint"),
    (DirectionChanges, "direction_changes"),
    (DivergenceGuard, "divergence_guard"),
    (EarlyStopping, "early_stopping"),
    (LearningRateScheduler, "learning_rate_scheduler"),
    (MemberSteps, "member_steps"),
    (PrintError, "print_error"),
    (ProgressBar, "progress_bar"),
    (ReducePlateau, "reduce_plateau"),
    (TensorBoard, "tensorboard"),
    (TrainingDynamics, "training_dynamics"),
    (Validation, "validation"),
    (WeightPath, "weight_path"),
]:
    CALLBACKS.add(_cls.__name__, _cls, aliases=[_alias])
del _cls, _alias


def callback_from_config(config: dict[str, Any]) -> Callback:
    """The callback a ``get_config()`` describes; its ``type`` names a `CALLBACKS` entry."""
    if not isinstance(config, dict) or "type" not in config:
        raise invalid("config", "callback_from_config", "a dict with a 'type' (a callback's "
                      "get_config())", config)
    cls = CALLBACKS.lookup(config["type"], owner="callback_from_config", parameter="type")
    return built_from_config(lambda: cls.from_config({**config, "type": cls.__name__}),
                             "callback_from_config", config)


__all__ = [
    "CALLBACKS",
    "Callback",
    "Checkpoint",
    "DirectionChanges",
    "DivergenceError",
    "DivergenceGuard",
    "EarlyStopping",
    "LearningRateScheduler",
    "MemberSteps",
    "PrintError",
    "ProgressBar",
    "ReducePlateau",
    "Resumable",
    "TensorBoard",
    "TrainingDynamics",
    "Validation",
    "WeightPath",
    "callback_from_config",
    "overrides",
]
