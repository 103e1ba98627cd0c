"""Optimizers as gradient transformations; see `mlplab.optim.base`.

Importing this package imports every module in it, and each module registers
its own optimizers, chain links and schedules (`mlplab.optim.registry`), so a
new optimizer is one new module: `fit(optimizer=...)`, the command line, the
sweep grid and configs find it by name.
"""

import importlib
import pkgutil

from mlplab.optim.adadelta import AdadeltaState, adadelta, scale_by_adadelta
from mlplab.optim.adagrad import AdagradState, adagrad, scale_by_adagrad
from mlplab.optim.adam import AdamState, adam, adamw, scale_by_adam
from mlplab.optim.adamax import AdamaxState, adamax, scale_by_adamax
from mlplab.optim.annealing import simulated_annealing
from mlplab.optim.asgd import AsgdState, asgd
from mlplab.optim.base import (
    EmptyState,
    GradientTransformation,
    ParamList,
    apply_updates,
    chain,
    population_ndim,
    scale,
)
from mlplab.optim.clipping import ClipByGlobalNormState, clip_by_global_norm, clip_by_value
from mlplab.optim.config import optimizer_config, optimizer_from_config
from mlplab.optim.maximize import maximizing
from mlplab.optim.members import ByMemberState, by_member
from mlplab.optim.momentum import DampedMomentumState, MomentumState, scale_by_momentum
from mlplab.optim.nadam import NadamState, nadam, scale_by_nadam
from mlplab.optim.penalties import add_decayed_weights, l1_penalty, l2_penalty
from mlplab.optim.plateau import ReduceLROnPlateau, reduce_lr_on_plateau
from mlplab.optim.quasi_newton import bfgs, lbfgs
from mlplab.optim.radam import RAdamState, radam, scale_by_radam
from mlplab.optim.registry import OPTIMIZERS, get_optimizer
from mlplab.optim.rmsprop import RMSpropState, rmsprop, scale_by_rms
from mlplab.optim.rprop import RpropState, rprop
from mlplab.optim.schedules import (
    ScheduleState,
    constant_schedule,
    cosine_decay,
    exponential_decay,
    linear_warmup,
    scale_by_learning_rate,
    scale_by_schedule,
    step_decay,
)
from mlplab.optim.sgd import sgd

__all__ = [
    "OPTIMIZERS",
    "AdadeltaState",
    "AdagradState",
    "AdamState",
    "AdamaxState",
    "AsgdState",
    "ByMemberState",
    "ClipByGlobalNormState",
    "DampedMomentumState",
    "EmptyState",
    "GradientTransformation",
    "MomentumState",
    "NadamState",
    "ParamList",
    "RAdamState",
    "RMSpropState",
    "ReduceLROnPlateau",
    "RpropState",
    "ScheduleState",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "add_decayed_weights",
    "apply_updates",
    "asgd",
    "bfgs",
    "by_member",
    "chain",
    "clip_by_global_norm",
    "clip_by_value",
    "constant_schedule",
    "cosine_decay",
    "exponential_decay",
    "get_optimizer",
    "l1_penalty",
    "l2_penalty",
    "lbfgs",
    "linear_warmup",
    "maximizing",
    "nadam",
    "optimizer_config",
    "optimizer_from_config",
    "population_ndim",
    "radam",
    "reduce_lr_on_plateau",
    "rmsprop",
    "rprop",
    "scale",
    "scale_by_adadelta",
    "scale_by_adagrad",
    "scale_by_adam",
    "scale_by_adamax",
    "scale_by_learning_rate",
    "scale_by_momentum",
    "scale_by_nadam",
    "scale_by_radam",
    "scale_by_rms",
    "scale_by_schedule",
    "sgd",
    "simulated_annealing",
    "step_decay",
]

for _module in pkgutil.iter_modules(__path__):  # the modules not imported above register too
    importlib.import_module(f"{__name__}.{_module.name}")
