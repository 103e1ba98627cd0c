"""Losses: a value and its gradient with respect to the network's output.

Arrays are ``(*population, n_samples, n_outputs)``; every loss reduces over
the last two axes only, so a population of K models gets K loss values.

The tutorials' "delta rule" is `delta`: the output error `output - y`, not
averaged and with no factor 2, is the gradient of half the sum of squared
errors. `mse` averages over every sample and output, which rescales the
effective step size by 2 / (n_samples * n_outputs) relative to `delta`.

Losses that pair with a squashing output (`binary_crossentropy` with sigmoid,
`softmax_crossentropy` with softmax) name it in ``logits_of``. When a model
ends in that activation, training feeds the loss the activation's input (the
logits) and skips the activation's backward: the fused gradient is exactly
`probabilities - y`, and nothing overflows for logits of +-1000.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import built_from_config
from mlplab.activations import sigmoid, softmax
from mlplab.registry import Registry


def _total(a: Any, xp: Any) -> Any:
    """Sum over the sample and output axes, one value per model."""
    return xp.sum(a, axis=(-2, -1))


def _sum_of_squares(e: Any, xp: Any) -> Any:
    """sum(e**2) over the sample and output axes, one value per model.

    One dot product per model: `vecdot` of each model's flattened error with
    itself, which for a population gives each member exactly the number a
    single model's `vdot` gives (a population equals separate runs bit for bit).
    """
    if e.ndim == 2 and type(e) is np.ndarray:  # one model: vdot is cheapest, vecdot's equal
        return np.vdot(e, e)
    flat = xp.reshape(e, (*e.shape[:-2], -1))
    return xp.vecdot(flat, flat)


def _count(a: Any) -> int:
    return a.shape[-2] * a.shape[-1]


class Loss:
    """Base class: `value(out, y)` per model and `gradient(out, y)` like `out`.

    Every method takes ``xp=``, the array namespace of `out` and `y` (NumPy by
    default; see `mlplab.backend`), and uses only the array API standard.
    """

    name = "loss"
    logits_of: str | None = None
    reduction = "mean"  # "sum" when the value adds up over samples instead

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        raise NotImplementedError

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        raise NotImplementedError

    def value_and_gradient(self, out: Any, y: Any, xp: Any = np) -> tuple[Any, Any]:
        """Both at once (training needs both every step; subclasses share work)."""
        return self.value(out, y, xp), self.gradient(out, y, xp)

    def value_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        """The loss of `activation(z)`, computed stably from the logits z."""
        raise NotImplementedError

    def gradient_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        raise NotImplementedError

    def value_and_gradient_from_logits(self, z: Any, y: Any, xp: Any = np) -> tuple[Any, Any]:
        return self.value_from_logits(z, y, xp), self.gradient_from_logits(z, y, xp)

    def get_config(self) -> dict[str, Any]:
        """The loss as plain data: its registry name (see `loss_from_config`)."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Delta(Loss):
    """The tutorials' delta rule: 0.5 * sum((out - y)**2), gradient out - y."""

    name = "delta"
    reduction = "sum"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return 0.5 * _sum_of_squares(out - y, xp)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return out - y  # how much did we miss?

    def value_and_gradient(self, out: Any, y: Any, xp: Any = np) -> tuple[Any, Any]:
        error = out - y
        return 0.5 * _sum_of_squares(error, xp), error


class MeanSquaredError(Loss):
    """mean((out - y)**2) over samples and outputs; gradient 2 (out - y) / N."""

    name = "mse"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _sum_of_squares(out - y, xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return (2 / _count(out)) * (out - y)


class MeanAbsoluteError(Loss):
    """mean(|out - y|); gradient sign(out - y) / N (0 where out == y)."""

    name = "mae"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _total(xp.abs(out - y), xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return xp.sign(out - y) / _count(out)


class BinaryCrossEntropy(Loss):
    """-mean(y log p + (1 - y) log(1 - p)) for probabilities p in (0, 1).

    On probabilities, p is clipped to [eps, 1 - eps] so the loss stays finite.
    After a sigmoid output, training uses the logits form
    mean(max(z, 0) - z y + log(1 + exp(-|z|))), whose gradient is (sigmoid(z) - y) / N.
    """

    name = "binary_crossentropy"
    logits_of = "sigmoid"
    eps = 1e-12

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        p = xp.clip(out, self.eps, 1 - self.eps)
        return -_total(y * xp.log(p) + (1 - y) * xp.log1p(-p), xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        p = xp.clip(out, self.eps, 1 - self.eps)
        return (p - y) / (p * (1 - p)) / _count(out)

    def value_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        per_element = xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))
        return _total(per_element, xp) / _count(z)

    def gradient_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        with np.errstate(over="ignore"):
            return (sigmoid(z, xp) - y) / _count(z)


class SoftmaxCrossEntropy(Loss):
    """-mean over samples of sum_k y_k log softmax(z)_k, on logits z.

    y is one-hot (or any distribution over the classes). The output is
    always read as logits: a model may end in a linear layer, or in softmax,
    whose input training then passes here instead. Gradient (softmax(z) - y) / n.
    """

    name = "softmax_crossentropy"
    logits_of = "softmax"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        shift = xp.max(out, axis=-1, keepdims=True)
        log_norm = xp.log(xp.sum(xp.exp(out - shift), axis=-1, keepdims=True)) + shift
        return _total(y * (log_norm - out), xp) / out.shape[-2]

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return (softmax(out, xp) - y) / out.shape[-2]

    value_from_logits = value
    gradient_from_logits = gradient


LOSSES = Registry("loss")
LOSSES.add("delta", Delta, aliases=["half_sse"], task="regression")
LOSSES.add("mse", MeanSquaredError, aliases=["mean_squared_error"], task="regression")
LOSSES.add("mae", MeanAbsoluteError, aliases=["mean_absolute_error"], task="regression")
LOSSES.add("binary_crossentropy", BinaryCrossEntropy, aliases=["bce"], task="classification")
LOSSES.add("softmax_crossentropy", SoftmaxCrossEntropy,
           aliases=["crossentropy", "categorical_crossentropy"], task="classification")


def get_loss(loss: str | Loss, *, owner: str = "fit") -> Loss:
    """A Loss instance from a name or alias (see LOSSES) or an instance."""
    if isinstance(loss, Loss):
        return loss
    return LOSSES.lookup(loss, owner=owner, parameter="loss")()


def loss_from_config(config: dict[str, Any]) -> Loss:
    """A Loss rebuilt from its `get_config()`."""
    name = config.get("name") if isinstance(config, dict) else None
    cls = LOSSES.lookup(name, owner="loss_from_config", parameter="name")
    return built_from_config(lambda: cls.from_config(config), "loss_from_config", config)
