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
a population, from `init_params` and `init_buffers` (drawn on the host with
NumPy, then moved to the model's backend).

Every layer computes with the array namespace of its model's backend
(``self.backend.xp``, set by `set_backend`), through the array API standard
only; NumPy-only fast paths sit behind ``self.backend.is_numpy``.

A layer that draws random numbers while training (Dropout) sets
``needs_rng = True`` and receives its stream per call: ``forward(x, training=True,
rng=...)``, a NumPy Generator, or a list of them, one per model of a population.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab.backend import NUMPY, Backend
from mlplab.initializers import Initializer, Rng
from mlplab.registry import Registry

LAYERS = Registry("layer")


class Layer:
    """Base class: no parameters, identity forward and backward.

    Every subclass is registered under its class name in `LAYERS` as it is
    defined, so `layer_from_config` rebuilds any layer, a user's own included,
    from its ``get_config()``: adding a layer is writing its class. The first
    class of a name keeps it (a user's ``class Dense(Dense)`` does not replace
    mlplab's for every file loaded afterwards); only the same class defined
    again, as a reloaded module does, replaces it.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        known = LAYERS.get(cls.__name__)
        if known is not None and (known.__module__, known.__qualname__) != (
                cls.__module__, cls.__qualname__):
            return
        LAYERS.pop(cls.__name__, None)
        LAYERS.add(cls.__name__, cls)

    param_names: tuple[str, ...] = ()
    buffer_names: tuple[str, ...] = ()
    needs_rng = False  # True for layers that draw random numbers while training
    backend: Backend = NUMPY

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

    def set_backend(self, backend: Backend) -> None:
        """Compute with `backend` from now on (the model moves the arrays themselves)."""
        self.backend = backend

    def forward(self, x: Any, *, training: bool = False, rng: Any = None) -> Any:
        return x

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return grad

    def get_config(self) -> dict[str, Any]:
        """The layer as plain data (no weights); `layer_from_config` rebuilds it."""
        return {"type": type(self).__name__}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A fresh layer from `get_config()`'s output."""
        return cls(**{k: v for k, v in config.items() if k != "type"})

    # What forward and backward keep for the next backward: training scratch, not state.
    _SCRATCH = ("_x", "input", "output", "_x_hat", "_inv_std", "_training",
                "_scaled_mask", "grads", "_fallback_rng", "_W", "_W_T")

    # What `set_backend` derives (functions bound to the namespace): rebuilt after unpickling.
    _BOUND = ("_forward", "_derivative", "_vjp", "_matmul", "_matmul_2d")

    def __getstate__(self) -> dict[str, Any]:
        """Pickling (scikit-learn clones, joblib workers) leaves the last batch's scratch out."""
        state = {k: v for k, v in self.__dict__.items()
                 if k not in self._SCRATCH and k not in self._BOUND}
        state["grads"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.set_backend(self.backend)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{type(self).__name__}({args})"
