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

Per-sample weights (`weighted_value_and_gradient`): every loss is a sum of
per-sample shares c_i = l_i / M (``per_sample``), where M = sum_i m_i adds up
the samples' masses m_i (1 each for a mean; ``sample_mass`` says otherwise,
e.g. the class weight of a sample's class) and is 1 for a summed loss. With
weights s_i the loss is

    L_s = sum_i s_i l_i / sum_i s_i m_i    (sum_i s_i l_i for a summed loss),

so integer weights give exactly the loss of the data with each row repeated
s_i times. Written with the unweighted shares: L_s = sum_i v_i c_i and its
gradient at row i is v_i times the unweighted one, v_i = s_i M / sum_j s_j m_j.
A population may share one row of weights s (n_samples,) or give each member k
its own, s: (*population, n_samples); member k's L_s then uses s[k] alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab._checks import built_from_config, invalid
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


def _log_sum_exp(z: Any, xp: Any) -> Any:
    """log sum_k exp(z_k) over the last axis, kept (..., 1), shifted by the max to stay finite."""
    shift = xp.max(z, axis=-1, keepdims=True)
    return xp.log(xp.sum(xp.exp(z - shift), axis=-1, keepdims=True)) + shift


def _row_sums(a: Any, xp: Any) -> Any:
    """Sum over the output axis: (*population, n_samples, n_outputs) -> (*population, n_samples)."""
    return xp.sum(a, axis=-1)


def _count(a: Any) -> int:
    return a.shape[-2] * a.shape[-1]


def _constant(values: Any, like: Any, xp: Any) -> Any:
    """`values` as an array in `like`'s namespace, dtype and device."""
    if isinstance(like, np.ndarray):
        return np.asarray(values, dtype=like.dtype)
    if type(like).__module__.startswith("cupy"):  # CuPy makes arrays on its current device
        with like.device:
            return xp.asarray(values, dtype=like.dtype)
    return xp.asarray(values, dtype=like.dtype, device=like.device)


def _positive_weights(name: str, owner: str, value: Any, *, scalar: bool) -> Any:
    """None, a positive float (when `scalar`), or a tuple of positive floats, else raise."""
    expected = "a 1-D list or array of positive floats, or None"
    expected = f"a positive float, {expected}" if scalar else expected
    if value is None:
        return None
    try:
        values = np.asarray([]) if isinstance(value, str | bool) else np.asarray(value, dtype=float)
    except (TypeError, ValueError):  # ragged lists, objects that are not numbers
        raise invalid(name, owner, expected, value) from None
    if (values.dtype.kind not in "iuf" or values.ndim > 1 or values.size == 0
            or (values.ndim == 0 and not scalar)
            or not np.all(np.isfinite(values)) or np.any(values <= 0)):
        raise invalid(name, owner, expected, value)
    return float(values) if values.ndim == 0 else tuple(float(v) for v in values)


def _matching(name: str, owner: str, weights: Any, out: Any) -> None:
    """Raise unless `weights` (a tuple) has one entry per output column of `out`."""
    if isinstance(weights, tuple) and len(weights) != out.shape[-1]:
        raise invalid(name, owner, f"one weight per output ({out.shape[-1]})",
                      f"{len(weights)} weights", raw=True)


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

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        """Each sample's share c_i of `value`: (*population, n_samples), summing to it."""
        raise NotImplementedError

    def per_sample_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        """`per_sample` of `activation(z)`, from the logits z."""
        raise NotImplementedError

    def sample_mass(self, y: Any, xp: Any = np) -> Any:
        """Each sample's mass m_i in the loss's denominator, (n_samples,); None: all 1."""
        return None

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
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({options})"


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

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        error = out - y
        return 0.5 * _row_sums(error * error, xp)


class MeanSquaredError(Loss):
    """mean((out - y)**2) over samples and outputs; gradient 2 (out - y) / N."""

    name = "mse"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _sum_of_squares(out - y, xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return (2 / _count(out)) * (out - y)

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        error = out - y
        return _row_sums(error * error, xp) / _count(out)


class MeanAbsoluteError(Loss):
    """mean(|out - y|); gradient sign(out - y) / N (0 where out == y)."""

    name = "mae"

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _total(xp.abs(out - y), xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return xp.sign(out - y) / _count(out)

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _row_sums(xp.abs(out - y), xp) / _count(out)


class HuberLoss(Loss):
    """Huber: mean over samples and outputs of h(e), e = out - y.

    h(e) = 0.5 e**2 where |e| <= delta, delta (|e| - 0.5 delta) elsewhere:
    quadratic near zero, linear (slope delta) in the tails, so outliers pull
    with a bounded force. Written as 0.5 q**2 + delta (|e| - q) with
    q = min(|e|, delta). Gradient clip(e, -delta, delta) / N. The same as
    torch.nn.HuberLoss(delta=delta) (reduction "mean"); torch's SmoothL1Loss
    is this divided by delta.
    """

    name = "huber"

    def __init__(self, delta: float = 1.0) -> None:
        if (isinstance(delta, bool) or not isinstance(delta, int | float | np.floating)
                or not 0 < delta < np.inf):
            raise invalid("delta", "HuberLoss", "a float in the range (0, inf)", delta)
        self.delta = float(delta)

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        error = xp.abs(out - y)
        inner = xp.minimum(error, self.delta)
        total = 0.5 * _sum_of_squares(inner, xp) + self.delta * _total(error - inner, xp)
        return total / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        return xp.clip(out - y, -self.delta, self.delta) / _count(out)

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        error = xp.abs(out - y)
        inner = xp.minimum(error, self.delta)
        return _row_sums(0.5 * inner * inner + self.delta * (error - inner), xp) / _count(out)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "delta": self.delta}


class BinaryCrossEntropy(Loss):
    """-mean(w y log p + (1 - y) log(1 - p)) for probabilities p in (0, 1).

    `pos_weight` w (default 1; a positive float, or one per output) scales
    the positive targets' term, as torch.nn.BCEWithLogitsLoss(pos_weight=w):
    w > 1 trades precision for recall. On probabilities, p is clipped to
    [eps, 1 - eps] so the loss stays finite; gradient
    ((1 - y) p - w y (1 - p)) / (p (1 - p)) / N. After a sigmoid output,
    training uses the logits form
    mean((1 - y) z + (1 + (w - 1) y) (max(-z, 0) + log(1 + exp(-|z|)))),
    whose gradient is ((1 - y) - (1 + (w - 1) y) sigmoid(-z)) / N, which is
    (sigmoid(z) - y) / N for w = 1.
    """

    name = "binary_crossentropy"
    logits_of = "sigmoid"
    eps = 1e-12

    def __init__(self, pos_weight: float | Any = None) -> None:
        self.pos_weight = _positive_weights("pos_weight", "BinaryCrossEntropy", pos_weight,
                                            scalar=True)

    def _weight(self, like: Any, xp: Any) -> Any:
        """w as a float or a per-output row in `like`'s namespace (None when unweighted)."""
        _matching("pos_weight", "BinaryCrossEntropy", self.pos_weight, like)
        if isinstance(self.pos_weight, tuple):
            return _constant(self.pos_weight, like, xp)
        return self.pos_weight

    def _elements(self, out: Any, y: Any, xp: Any) -> Any:
        """The loss of every sample and output, on probabilities."""
        p = xp.clip(out, self.eps, 1 - self.eps)
        w = self._weight(out, xp)
        positive = y * xp.log(p) if w is None else w * y * xp.log(p)
        return -(positive + (1 - y) * xp.log1p(-p))

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _total(self._elements(out, y, xp), xp) / _count(out)

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        return _row_sums(self._elements(out, y, xp), xp) / _count(out)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        p = xp.clip(out, self.eps, 1 - self.eps)
        w = self._weight(out, xp)
        if w is None:
            return (p - y) / (p * (1 - p)) / _count(out)
        return ((1 - y) * p - w * y * (1 - p)) / (p * (1 - p)) / _count(out)

    def _elements_from_logits(self, z: Any, y: Any, xp: Any) -> Any:
        """The loss of every sample and output, on logits."""
        w = self._weight(z, xp)
        if w is None:
            return xp.maximum(z, 0.0) - z * y + xp.log1p(xp.exp(-xp.abs(z)))
        # torch's form: -log sigmoid(z) = max(-z, 0) + log(1 + exp(-|z|))
        minus_log_p = xp.maximum(-z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))
        return (1 - y) * z + (1 + (w - 1) * y) * minus_log_p

    def value_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        return _total(self._elements_from_logits(z, y, xp), xp) / _count(z)

    def per_sample_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        return _row_sums(self._elements_from_logits(z, y, xp), xp) / _count(z)

    def gradient_from_logits(self, z: Any, y: Any, xp: Any = np) -> Any:
        w = self._weight(z, xp)
        with np.errstate(over="ignore"):
            if w is None:
                return (sigmoid(z, xp) - y) / _count(z)
            return ((1 - y) - (1 + (w - 1) * y) * sigmoid(-z, xp)) / _count(z)

    def get_config(self) -> dict[str, Any]:
        weight = self.pos_weight
        return {"name": self.name, "pos_weight": list(weight) if isinstance(weight, tuple)
                else weight}


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of softmax(z) against targets y, on logits z: (n, C).

    y is one-hot (or any distribution over the C classes). The output is
    always read as logits: a model may end in a linear layer, or in softmax,
    whose input training then passes here instead.

    With label smoothing s and class weights w (default all 1), the targets
    become t = (1 - s) y + s / C and

        loss = sum_i sum_k w_k t_ik (-log softmax(z_i)_k) / sum_i sum_k w_k y_ik,

    gradient (a_i softmax(z_i)_k - w_k t_ik) / D with a_i = sum_k w_k t_ik and
    D the denominator. For one-hot y the denominator is the sum of the weights
    of the samples' classes, exactly torch.nn.CrossEntropyLoss(weight=w,
    label_smoothing=s) with class-index targets and reduction "mean". (Torch's
    probability targets divide by n instead; with soft y this loss keeps the
    weighted denominator, with one-hot y the two agree.) Without class weights
    D is n and the gradient (softmax(z) - t) / n.
    """

    name = "softmax_crossentropy"
    logits_of = "softmax"

    def __init__(self, label_smoothing: float = 0.0, class_weights: Any = None) -> None:
        smoothing = label_smoothing
        if (isinstance(smoothing, bool) or not isinstance(smoothing, int | float | np.floating)
                or not 0 <= smoothing < 1):
            raise invalid("label_smoothing", "SoftmaxCrossEntropy",
                          "a float in the range [0, 1)", label_smoothing)
        self.label_smoothing = float(smoothing)
        self.class_weights = _positive_weights("class_weights", "SoftmaxCrossEntropy",
                                               class_weights, scalar=False)

    def _targets(self, y: Any) -> Any:
        """The smoothed targets (1 - s) y + s / C (y itself when s = 0)."""
        s = self.label_smoothing
        return y if s == 0 else (1 - s) * y + s / y.shape[-1]

    def _weights(self, out: Any, xp: Any) -> Any:
        _matching("class_weights", "SoftmaxCrossEntropy", self.class_weights, out)
        return None if self.class_weights is None else _constant(self.class_weights, out, xp)

    def value(self, out: Any, y: Any, xp: Any = np) -> Any:
        log_norm = _log_sum_exp(out, xp)
        w, t = self._weights(out, xp), self._targets(y)
        if w is None:
            return _total(t * (log_norm - out), xp) / out.shape[-2]
        return _total(w * t * (log_norm - out), xp) / _total(w * y, xp)

    def gradient(self, out: Any, y: Any, xp: Any = np) -> Any:
        w, t = self._weights(out, xp), self._targets(y)
        if w is None:
            return (softmax(out, xp) - t) / out.shape[-2]
        mass = xp.sum(w * t, axis=-1, keepdims=True)
        denominator = xp.expand_dims(xp.expand_dims(_total(w * y, xp), axis=-1), axis=-1)
        return (mass * softmax(out, xp) - w * t) / denominator

    def per_sample(self, out: Any, y: Any, xp: Any = np) -> Any:
        log_norm = _log_sum_exp(out, xp)
        w, t = self._weights(out, xp), self._targets(y)
        if w is None:
            return _row_sums(t * (log_norm - out), xp) / out.shape[-2]
        return _row_sums(w * t * (log_norm - out), xp) / xp.expand_dims(_total(w * y, xp), -1)

    def sample_mass(self, y: Any, xp: Any = np) -> Any:
        """The class weight of each sample's class, sum_k w_k y_ik (None without weights)."""
        w = self._weights(y, xp)
        return None if w is None else _row_sums(w * y, xp)

    value_from_logits = value
    gradient_from_logits = gradient
    per_sample_from_logits = per_sample

    def get_config(self) -> dict[str, Any]:
        weights = self.class_weights
        return {"name": self.name, "label_smoothing": self.label_smoothing,
                "class_weights": None if weights is None else list(weights)}


LOSSES = Registry("loss")
LOSSES.add("delta", Delta, aliases=["half_sse"], task="regression")
LOSSES.add("mse", MeanSquaredError, aliases=["mean_squared_error"], task="regression")
LOSSES.add("mae", MeanAbsoluteError, aliases=["mean_absolute_error"], task="regression")
LOSSES.add("huber", HuberLoss, task="regression")
LOSSES.add("binary_crossentropy", BinaryCrossEntropy, aliases=["bce"], task="classification")
LOSSES.add("softmax_crossentropy", SoftmaxCrossEntropy,
           aliases=["crossentropy", "categorical_crossentropy"], task="classification")


def has_per_sample(loss: Loss, *, from_logits: bool) -> bool:
    """Whether `loss` can be weighted per sample (it defines its per-sample shares)."""
    name = "per_sample_from_logits" if from_logits else "per_sample"
    return getattr(type(loss), name) is not getattr(Loss, name)


def sample_factors(loss: Loss, y: Any, weights: Any, xp: Any = np) -> Any:
    """v_i = s_i M / sum_j s_j m_j (s_i for a summed loss), shaped like `weights`; see the
    module doc.

    weights: (n_samples,), shared by every member of a population, or
    (*population, n_samples), each member's own: each member's factors are then
    those its own weights would give a single model. A batch whose weights are all
    zero (for a member) gets factors 0: it adds nothing (to that member).
    """
    if loss.reduction == "sum":
        return weights
    mass = loss.sample_mass(y, xp)
    everything = y.shape[-2] if mass is None else xp.sum(mass)
    if weights.ndim > 1:
        return _member_factors(weights, mass, everything, xp)
    total = xp.sum(weights) if mass is None else xp.sum(weights * mass)
    return weights * (everything / total) if total > 0 else weights * 0


def _member_factors(weights: Any, mass: Any, everything: Any, xp: Any) -> Any:
    """`sample_factors` for weights (*population, n_samples): each member's own total."""
    total = xp.sum(weights if mass is None else weights * mass, axis=-1, keepdims=True)
    some = total > 0
    scale = everything / xp.where(some, total, xp.ones_like(total))
    return xp.where(some, weights * scale, xp.zeros_like(weights))


def weighted_value_and_gradient(loss: Loss, out: Any, y: Any, weights: Any, xp: Any = np, *,
                                from_logits: bool = False) -> tuple[Any, Any]:
    """The loss L_s and its gradient with per-sample weights s; see the module doc.

    out: (*population, n_samples, n_outputs), the logits when `from_logits`; weights:
    (n_samples,) for every member alike, or (*population, n_samples), member k's loss
    weighted by its own row s[k] (exactly as a single model with weights s[k]).
    """
    if from_logits:
        _, gradient = loss.value_and_gradient_from_logits(out, y, xp)
        shares = loss.per_sample_from_logits(out, y, xp)
    else:
        _, gradient = loss.value_and_gradient(out, y, xp)
        shares = loss.per_sample(out, y, xp)
    v = sample_factors(loss, y, weights, xp)
    return xp.sum(shares * v, axis=-1), gradient * xp.expand_dims(v, axis=-1)


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
