"""mlplab: multi-layer perceptrons from scratch on NumPy.

    >>> import mlplab
    >>> from mlplab.data import tutorial_xy
    >>> X, y = tutorial_xy("part2")
    >>> net = mlplab.MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid",
    ...                  bias=False, init="tutorial", seed=1)
    >>> history = mlplab.fit(net, X, y, loss="delta", optimizer=mlplab.sgd(10.0),
    ...                      iterations=60000)
"""

from mlplab.callbacks import (
    Callback,
    DirectionChanges,
    DivergenceError,
    DivergenceGuard,
    PrintError,
)
from mlplab.diagnostics import gradient_check
from mlplab.history import History
from mlplab.io import ModelFileError, load, save
from mlplab.layers import Activation, BatchNorm, Dense, DropConnect, Dropout, Layer
from mlplab.losses import Loss, get_loss
from mlplab.model import MLP, Sequential
from mlplab.optim import (
    GradientTransformation,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    chain,
    nadam,
    radam,
    rmsprop,
    sgd,
)
from mlplab.state import TrainingState
from mlplab.train import fit

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Activation",
    "BatchNorm",
    "Callback",
    "Dense",
    "DirectionChanges",
    "DivergenceError",
    "DivergenceGuard",
    "DropConnect",
    "Dropout",
    "GradientTransformation",
    "History",
    "Layer",
    "Loss",
    "ModelFileError",
    "PrintError",
    "Sequential",
    "TrainingState",
    "__version__",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "chain",
    "fit",
    "get_loss",
    "gradient_check",
    "load",
    "nadam",
    "radam",
    "rmsprop",
    "save",
    "sgd",
]
