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

import numpy as np

from mlplab._checks import check_choice
from mlplab.activations import sigmoid, softmax


def _total(a: np.ndarray) -> np.ndarray:
    """Sum over the sample and output axes, one value per model."""
    return a.sum(axis=(-2, -1))


def _sum_of_squares(e: np.ndarray) -> np.ndarray:
    """sum(e**2) over the sample and output axes, one value per model."""
    if e.ndim == 2:  # one model: a single dot product is much cheaper than a reduction
        return np.vdot(e, e)
    return _total(e * e)


def _count(a: np.ndarray) -> int:
    return a.shape[-2] * a.shape[-1]


class Loss:
    """Base class: `value(out, y)` per model and `gradient(out, y)` like `out`."""

    name = "loss"
    logits_of: str | None = None
    reduction = "mean"  # "sum" when the value adds up over samples instead

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def value_and_gradient(self, out: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both at once (training needs both every step; subclasses share work)."""
        return self.value(out, y), self.gradient(out, y)

    def value_from_logits(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The loss of `activation(z)`, computed stably from the logits z."""
        raise NotImplementedError

    def gradient_from_logits(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def value_and_gradient_from_logits(self, z: np.ndarray, y: np.ndarray
                                       ) -> tuple[np.ndarray, np.ndarray]:
        return self.value_from_logits(z, y), self.gradient_from_logits(z, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Delta(Loss):
    """The tutorials' delta rule: 0.5 * sum((out - y)**2), gradient out - y."""

    name = "delta"
    reduction = "sum"

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 * _sum_of_squares(out - y)

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return out - y  # how much did we miss?

    def value_and_gradient(self, out: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        error = out - y
        return 0.5 * (np.vdot(error, error) if error.ndim == 2 else _total(error * error)), error


class MeanSquaredError(Loss):
    """mean((out - y)**2) over samples and outputs; gradient 2 (out - y) / N."""

    name = "mse"

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _sum_of_squares(out - y) / _count(out)

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (2 / _count(out)) * (out - y)


class MeanAbsoluteError(Loss):
    """mean(|out - y|); gradient sign(out - y) / N (0 where out == y)."""

    name = "mae"

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _total(np.abs(out - y)) / _count(out)

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.sign(out - y) / _count(out)


class BinaryCrossEntropy(Loss):
    """-mean(y log p + (1 - y) log(1 - p)) for probabilities p in (0, 1).

    On probabilities, p is clipped to [eps, 1 - eps] so the loss stays finite.
    After a sigmoid output, training uses the logits form
    mean(max(z, 0) - z y + log(1 + exp(-|z|))), whose gradient is (sigmoid(z) - y) / N.
    """

    name = "binary_crossentropy"
    logits_of = "sigmoid"
    eps = 1e-12

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = np.clip(out, self.eps, 1 - self.eps)
        return -_total(y * np.log(p) + (1 - y) * np.log1p(-p)) / _count(out)

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        p = np.clip(out, self.eps, 1 - self.eps)
        return (p - y) / (p * (1 - p)) / _count(out)

    def value_from_logits(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        per_element = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        return _total(per_element) / _count(z)

    def gradient_from_logits(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (sigmoid(z) - y) / _count(z)


class SoftmaxCrossEntropy(Loss):
    """-mean over samples of sum_k y_k log softmax(z)_k, on logits z.

    y is one-hot (or any distribution over the classes). The output is
    always read as logits: a model may end in a linear layer, or in softmax,
    whose input training then passes here instead. Gradient (softmax(z) - y) / n.
    """

    name = "softmax_crossentropy"
    logits_of = "softmax"

    def value(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        shift = out.max(axis=-1, keepdims=True)
        log_norm = np.log(np.exp(out - shift).sum(axis=-1, keepdims=True)) + shift
        return _total(y * (log_norm - out)) / out.shape[-2]

    def gradient(self, out: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (softmax(out) - y) / out.shape[-2]

    value_from_logits = value
    gradient_from_logits = gradient


LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (Delta, MeanSquaredError, MeanAbsoluteError, BinaryCrossEntropy,
                SoftmaxCrossEntropy)
}
ALIASES = {
    "half_sse": "delta",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "bce": "binary_crossentropy",
    "crossentropy": "softmax_crossentropy",
    "categorical_crossentropy": "softmax_crossentropy",
}


def get_loss(loss: str | Loss, *, owner: str = "fit") -> Loss:
    """A Loss instance from a name (see LOSSES and ALIASES) or an instance."""
    if isinstance(loss, Loss):
        return loss
    name = ALIASES.get(loss, loss) if isinstance(loss, str) else loss
    return LOSSES[check_choice("loss", owner, name, LOSSES)]()
