"""Layers: Dense, activation layers, Dropout and BatchNorm.

A layer maps ``x: (*population, n_samples, n_in)`` to
``(*population, n_samples, n_out)``; the input of the first layer is usually
shared data ``(n_samples, n_in)`` that broadcasts against a population of
weights ``W: (*population, n_in, n_out)``. `forward` remembers what `backward`
needs; `backward(grad)` sets ``self.grads`` (one array per parameter, shaped
like it) and returns the gradient with respect to the input.

Trainable arrays are ``params`` (named by ``param_names``); non-trainable state
that a forward pass updates, such as BatchNorm's running averages, is
``buffers`` (named by ``buffer_names``). The model creates both, per member of
a population, from `init_params` and `init_buffers`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.initializers import Initializer, Rng


class Layer:
    """Base class: no parameters, identity forward and backward."""

    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.params: list[np.ndarray] = []
        self.grads: list[np.ndarray] = []
        self.buffers: list[np.ndarray] = []
        self.population: tuple[int, ...] = ()

    def input_size(self) -> int | None:
        """The number of input features this layer requires, or None if any will do."""
        return None

    def output_size(self, n_in: int) -> int:
        """The number of features this layer produces from `n_in` inputs."""
        return n_in

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        """Fresh parameters for one model (no population axes)."""
        return []

    def init_buffers(self) -> list[np.ndarray]:
        """Fresh non-trainable state for one model (no population axes)."""
        return []

    def set_population(self, population: tuple[int, ...]) -> None:
        """Learn the population shape of the model this layer is built into."""
        self.population = tuple(population)

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return grad

    def get_config(self) -> dict[str, Any]:
        return {"type": type(self).__name__}

    # What forward and backward keep for the next backward: training scratch, not state.
    _SCRATCH = ("_x", "input", "output", "_saved", "_x_hat", "_inv_std", "_training",
                "_scaled_mask", "grads")

    def __getstate__(self) -> dict[str, Any]:
        """Pickling (scikit-learn clones, joblib workers) leaves the last batch's scratch out."""
        state = {k: v for k, v in self.__dict__.items() if k not in self._SCRATCH}
        state["grads"] = []
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{type(self).__name__}({args})"
