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

from functools import partial
from typing import Any

import numpy as np

from mlplab._checks import check_int, check_number, invalid
from mlplab.activations import get_activation
from mlplab.initializers import Initializer, Rng, get_initializer


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


class Dense(Layer):
    """Fully connected layer: z = x @ W + b.

    W: (*population, n_in, n_out); b: (*population, n_out) when ``bias`` is on.
    Gradients: dW = x^T @ grad, db = sum of grad over samples, dx = grad @ W^T.
    `init` overrides the model's initializer for this layer's weights; biases
    start at zero.
    """

    param_names = ("W", "b")

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True,
                 init: str | Initializer | None = None) -> None:
        super().__init__()
        self.n_in = check_int("n_in", "Dense", n_in, low=1)
        self.n_out = check_int("n_out", "Dense", n_out, low=1)
        if not isinstance(bias, bool | np.bool_):
            raise invalid("bias", "Dense", "True or False", bias)
        self.bias = bool(bias)
        self.init = init
        self._init = None if init is None else get_initializer(init, owner="Dense")
        if not self.bias:
            self.param_names = ("W",)

    def input_size(self) -> int:
        return self.n_in

    def output_size(self, n_in: int) -> int:
        return self.n_out

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        W = (self._init or default_init)((self.n_in, self.n_out), rng)
        return [W, np.zeros(self.n_out)] if self.bias else [W]

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self._x = x
        W = self.params[0]
        z = np.dot(x, W) if W.ndim == 2 else x @ W  # np.dot: same numbers, less overhead
        if self.bias:
            z += self.params[1][..., None, :]
        return z

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        W = self.params[0]
        matmul = np.dot if W.ndim == 2 else np.matmul
        dW = matmul(self._x.mT, grad)
        self.grads = [dW, grad.sum(axis=-2)] if self.bias else [dW]
        return matmul(grad, W.mT) if need_input_grad else None

    def get_config(self) -> dict[str, Any]:
        config = {"type": "Dense", "n_in": self.n_in, "n_out": self.n_out, "bias": self.bias}
        if isinstance(self.init, str):
            config["init"] = self.init
        return config


class Activation(Layer):
    """An activation function as a layer, e.g. ``Activation("sigmoid")``.

    Keyword arguments go to the function (``Activation("leaky_relu", slope=0.2)``).
    The layer keeps whichever of input or output the derivative takes.
    """

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__()
        self.fn = get_activation(name)
        self.name = name
        self.kwargs = kwargs
        self._forward = _bind(self.fn.forward, kwargs)
        self._derivative = _bind(self.fn.derivative, kwargs)
        self._keep_input = self.fn.takes == "input"

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        self.input = x  # the logits, for a loss fused with this activation
        self.output = out = self._forward(x)
        self._saved = x if self._keep_input else out
        return out

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._derivative is None:
            return self.fn.vjp(grad, self.output)
        slope = self._derivative(self._saved)
        slope *= grad  # in place: the derivative returned a fresh array
        return slope

    def get_config(self) -> dict[str, Any]:
        return {"type": "Activation", "name": self.name, **self.kwargs}


def _bind(fn: Any, kwargs: dict[str, Any]) -> Any:
    return partial(fn, **kwargs) if kwargs and fn is not None else fn


class Dropout(Layer):
    """Inverted dropout: while training, zero each unit with probability `rate`.

    x: (*population, n_samples, n) or data shared by a population (n_samples, n).
    Kept units are scaled by 1 / (1 - rate), so the expected activation is
    unchanged and predict (``training=False``) is the identity. The keep-mask
    has the activations' shape, population axes included: every model of a
    population draws its own mask.

    rate: a float in [0, 1), or an array with one rate per model of a population.
    seed: None (fresh entropy), an int or a numpy Generator that the masks are
    drawn from; or a list of those, one per model, so that member k draws
    exactly the masks a single layer with ``seed[k]`` would.
    The generator (or list of them) is ``self.rng``, whose state a checkpoint
    can save. ``set_mask(keep)`` fixes the 0/1 keep-mask of every training
    forward (for finite-difference checks) until ``set_mask(None)``.
    """

    def __init__(self, rate: Any, *, seed: Any = None) -> None:
        super().__init__()
        self.rate = _check_rate(rate)
        self.seed = seed
        self.rng = _generators(seed)
        self.population = _implied_population(self.rate, seed)
        rate_array = np.asarray(self.rate)
        self._rate = rate_array.reshape((*rate_array.shape, 1, 1)) if rate_array.ndim else rate
        self._scale = 1 / (1 - self._rate)
        self._drops = bool(np.any(rate_array > 0))
        self._fixed_mask: np.ndarray | None = None
        self._scaled_mask: np.ndarray | None = None

    def set_population(self, population: tuple[int, ...]) -> None:
        implied = _implied_population(self.rate, self.seed)
        if implied and implied != tuple(population):
            per_model = "rate" if np.ndim(self.rate) else "seed"
            raise invalid(per_model, "Dropout", f"one value per model of the model's "
                          f"population {tuple(population)}", f"{implied[0]} values", raw=True)
        super().set_population(population)

    def set_mask(self, keep: Any) -> None:
        """Use the 0/1 array `keep` (1 = keep) in every training forward; None: random again."""
        if keep is not None:
            keep = np.asarray(keep)
            if keep.dtype.kind not in "biuf" or not np.all((keep == 0) | (keep == 1)):
                raise invalid("keep", "Dropout.set_mask", "an array of 0s and 1s (1 = keep) "
                              "or None", keep)
            keep = keep.astype(bool)
        self._fixed_mask = keep

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if not training or (self._fixed_mask is None and not self._drops):
            self._scaled_mask = None
            return x
        keep = self._fixed_mask if self._fixed_mask is not None else self._draw(x.shape)
        self._scaled_mask = np.asarray(keep * self._scale, dtype=x.dtype)
        return x * self._scaled_mask

    def _draw(self, shape: tuple[int, ...]) -> np.ndarray:
        """A fresh keep-mask shaped like the activations, population axes included."""
        if isinstance(self.rng, list):
            uniform = np.stack([rng.random(shape[-2:]) for rng in self.rng])
        else:
            uniform = self.rng.random(np.broadcast_shapes(shape, (*self.population, 1, 1)))
        return uniform >= self._rate

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if not need_input_grad:
            return None
        return grad if self._scaled_mask is None else grad * self._scaled_mask

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": "Dropout", "rate": np.asarray(self.rate).tolist()}
        if _is_plain_seed(self.seed):  # a Generator or fresh entropy cannot be written down
            config["seed"] = list(self.seed) if isinstance(self.seed, tuple) else self.seed
        return config


def _check_rate(rate: Any) -> Any:
    expected = "a float or array of floats in the range [0, 1)"
    try:
        value = check_number("rate", "Dropout", rate, low=0.0, low_open=False, high=1.0)
    except ValueError:
        raise invalid("rate", "Dropout", expected, rate) from None
    if np.any(np.asarray(value) >= 1):  # rate 1 drops everything and scales by 1/0
        raise invalid("rate", "Dropout", expected, rate)
    return value


def _generators(seed: Any) -> np.random.Generator | list[np.random.Generator]:
    """One Generator, or one per model for a list of seeds."""
    if not isinstance(seed, list | tuple):
        return _generator(seed)
    if not seed:
        raise invalid("seed", "Dropout", "a seed or a non-empty list of seeds", seed)
    return [_generator(s) for s in seed]


def _generator(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)
                             or seed < 0):
        raise invalid("seed", "Dropout", "None, an int >= 0, a numpy Generator, or a list "
                      "of those (one per model)", seed)
    return np.random.default_rng(seed)


def _implied_population(rate: Any, seed: Any) -> tuple[int, ...]:
    """The population that per-model rates or seeds spell out (empty if none do)."""
    shapes = {np.shape(rate)} if np.ndim(rate) else set()
    if isinstance(seed, list | tuple):
        shapes.add((len(seed),))
    if len(shapes) > 1:
        raise invalid("seed", "Dropout", f"one seed per rate ({np.size(rate)})",
                      f"{len(seed)} seeds", raw=True)
    return shapes.pop() if shapes else ()


def _is_plain_seed(seed: Any) -> bool:
    seeds = seed if isinstance(seed, list | tuple) else [seed]
    return all(isinstance(s, int | np.integer) and not isinstance(s, bool) for s in seeds)


class BatchNorm(Layer):
    """Batch normalization (Ioffe & Szegedy, 2015): y = gamma * x_hat + beta.

    x: (*population, n_samples, n_features) or shared (n_samples, n_features);
    gamma, beta: (*population, n_features), trainable, starting at 1 and 0;
    buffers running_mean, running_var: (*population, n_features), starting at 0 and 1.

    Training: x_hat = (x - mean) / sqrt(var + eps) with the batch's mean and
    *biased* variance over the sample axis (-2), and, as PyTorch's BatchNorm1d,
    running = (1 - momentum) * running + momentum * batch_stat, where the
    variance's batch_stat is the *unbiased* one, var * n / (n - 1).
    Predict: x_hat uses the running averages instead.
    Backward is the exact gradient through the batch statistics:
    dx = gamma / sqrt(var + eps) * (g - mean(g) - x_hat * mean(g * x_hat)).
    """

    param_names = ("gamma", "beta")
    buffer_names = ("running_mean", "running_var")

    def __init__(self, n_features: int, *, momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        self.n_features = check_int("n_features", "BatchNorm", n_features, low=1)
        self.momentum = _check_scalar("momentum", momentum, low=0.0, low_open=False, high=1.0)
        self.eps = _check_scalar("eps", eps, low=0.0, low_open=True, high=np.inf)

    def input_size(self) -> int:
        return self.n_features

    def init_params(self, rng: Rng, default_init: Initializer) -> list[np.ndarray]:
        return [np.ones(self.n_features), np.zeros(self.n_features)]

    def init_buffers(self) -> list[np.ndarray]:
        return [np.zeros(self.n_features), np.ones(self.n_features)]

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        if training:
            mean, var = self._batch_statistics(x)
        else:
            mean, var = (b[..., None, :] for b in self.buffers)
        self._training = training
        self._inv_std = 1 / np.sqrt(var + self.eps)
        self._x_hat = (x - mean) * self._inv_std
        gamma, beta = self.params
        return self._x_hat * gamma[..., None, :] + beta[..., None, :]

    def _batch_statistics(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and biased variance over samples; updates the running averages."""
        n = x.shape[-2]
        if n < 2:
            raise invalid("x", "BatchNorm.forward", "a batch of at least 2 samples while "
                          "training (one sample has no variance)", f"{n} sample", raw=True)
        mean = x.mean(axis=-2, keepdims=True)
        var = x.var(axis=-2, keepdims=True)
        running_mean, running_var = self.buffers
        for running, batch in ((running_mean, mean[..., 0, :]),
                               (running_var, var[..., 0, :] * (n / (n - 1)))):
            running *= 1 - self.momentum
            running += self.momentum * batch
        return mean, var

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        x_hat = self._x_hat
        grad_x_hat = grad * x_hat
        self.grads = [grad_x_hat.sum(axis=-2), grad.sum(axis=-2)]
        if not need_input_grad:
            return None
        slope = self.params[0][..., None, :] * self._inv_std
        if not self._training:  # the running statistics are constants
            return grad * slope
        centred = grad - grad.mean(axis=-2, keepdims=True)
        return slope * (centred - x_hat * grad_x_hat.mean(axis=-2, keepdims=True))

    def get_config(self) -> dict[str, Any]:
        return {"type": "BatchNorm", "n_features": self.n_features,
                "momentum": self.momentum, "eps": self.eps}


def _check_scalar(name: str, value: Any, **limits: Any) -> float:
    """One float: BatchNorm takes no per-model hyperparameters."""
    checked = check_number(name, "BatchNorm", value, **limits)
    if not isinstance(checked, float):
        raise invalid(name, "BatchNorm", "a single float", value)
    return checked


LAYERS: dict[str, type[Layer]] = {"Dense": Dense, "Activation": Activation,
                                  "Dropout": Dropout, "BatchNorm": BatchNorm}


def layer_from_config(config: dict[str, Any]) -> Layer:
    """Rebuild a layer (without weights) from its `get_config()`."""
    config = dict(config)
    kind = config.pop("type", None)
    if kind not in LAYERS:
        raise invalid("type", "layer_from_config", f"one of {sorted(LAYERS)}", kind)
    if kind == "Activation":
        return Activation(config.pop("name"), **config)
    return LAYERS[kind](**config)
