"""scikit-learn estimators: `MLPClassifier` and `MLPRegressor`, built on `MLP` and `fit`.

They drop into Pipeline, GridSearchCV and cross_val_score, and pass
``sklearn.utils.estimator_checks.check_estimator``.

How the names map to ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``:

==========================  ==========================  ======================================
mlplab                      scikit-learn                meaning
==========================  ==========================  ======================================
hidden_layer_sizes          hidden_layer_sizes          the same
activation                  activation                  also mlplab's names: "sigmoid",
                                                        "linear", "leaky_relu" (sklearn's
                                                        "logistic", "identity" are aliases)
optimizer                   solver                      a name from ``mlplab.optim.OPTIMIZERS``
learning_rate               learning_rate_init          the step size (mlplab's ``alpha``)
(none: always constant)     learning_rate               sklearn's schedule name
weight_decay                alpha                       L2 penalty, see below
dropconnect                                             DropConnect rate of every weight layer
batch_size                  batch_size                  the same ("auto" = min(200, n))
max_iter                    max_iter                    epochs (solver iterations for lbfgs)
tol, n_iter_no_change       tol, n_iter_no_change       stop after n_iter_no_change epochs
                                                        without an improvement of tol (sklearn's
                                                        code waits one epoch more)
early_stopping              early_stopping              on the validation *loss*, not score
validation_fraction         validation_fraction         the same
random_state                random_state                never the global NumPy generator
dtype                       (none)                      "float64" or "float32" end to end
==========================  ==========================  ======================================

scikit-learn's ``alpha`` is an L2 penalty strength, not a learning rate, and
this module has no parameter called alpha. Here the penalty is ``weight_decay``:
every step adds ``weight_decay * W`` to the gradient of the mean loss, for
every parameter (biases too), i.e. ``l2_penalty(weight_decay)`` chained in
front of the optimizer. scikit-learn adds ``alpha * W / batch_size`` to the
weights' gradient only, so its ``alpha=a`` is about ``weight_decay=a / batch_size``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlplab._checks import check_choice, check_int, invalid
from mlplab.activations import get_activation
from mlplab.callbacks import EarlyStopping
from mlplab.data.splitting import train_test_split
from mlplab.history import History
from mlplab.model import DTYPES, MLP, dtype_name
from mlplab.optim import OPTIMIZERS, chain, get_optimizer, l2_penalty
from mlplab.optim.base import GradientTransformation
from mlplab.optim.solver import Solver
from mlplab.train import fit

# Full-batch solvers take no learning rate (the registry says which); simulated annealing is
# left out, as a gradient-free search is no way to train an estimator of this size.
ESTIMATOR_OPTIMIZERS = tuple(name for name in OPTIMIZERS.names() if name != "annealing")


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: settings, training, forward pass."""

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 optimizer: str = "adam", learning_rate: float = 0.001,
                 batch_size: int | str | None = "auto", max_iter: int = 200,
                 tol: float = 1e-4, n_iter_no_change: int = 10, early_stopping: bool = False,
                 validation_fraction: float = 0.1, weight_decay: float = 0.0,
                 dropconnect: float = 0.0, random_state: Any = None,
                 dtype: str = "float64") -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.weight_decay = weight_decay
        self.dropconnect = dropconnect
        self.random_state = random_state
        self.dtype = dtype

    def _check_settings(self) -> str:
        """Check every hyperparameter (in fit, as scikit-learn asks); returns the dtype name."""
        owner = type(self).__name__
        _hidden_sizes(self.hidden_layer_sizes, owner)
        get_activation(self.activation, owner=owner)
        check_choice("optimizer", owner, self.optimizer, ESTIMATOR_OPTIMIZERS)
        _check_float("learning_rate", owner, self.learning_rate, low=0.0)
        _check_batch_size(self.batch_size, owner)
        check_int("max_iter", owner, self.max_iter, low=1)
        _check_float("tol", owner, self.tol, low=0.0, low_open=False)
        check_int("n_iter_no_change", owner, self.n_iter_no_change, low=1)
        if not isinstance(self.early_stopping, bool | np.bool_):
            raise invalid("early_stopping", owner, "True or False", self.early_stopping)
        _check_float("validation_fraction", owner, self.validation_fraction, low=0.0, high=1.0)
        _check_float("dropconnect", owner, self.dropconnect, low=0.0, low_open=False, high=1.0)
        _check_float("weight_decay", owner, self.weight_decay, low=0.0, low_open=False)
        return dtype_name(self.dtype, owner)

    def _train(self, X: np.ndarray, targets: np.ndarray, *, n_outputs: int, output: str,
               loss: str, stratify: bool) -> None:
        """Build and train `model_` on checked X: (n, n_features), targets: (n, ...)."""
        owner = type(self).__name__
        optimizer = self._optimizer()
        init_rng, train_rng = _generators(self.random_state, owner)
        sizes = [X.shape[1], *_hidden_sizes(self.hidden_layer_sizes, owner), n_outputs]
        model = MLP(sizes, activation=self.activation, output_activation=output,
                    seed=init_rng, dtype=X.dtype.name, dropconnect=float(self.dropconnect))
        X, targets, validation = self._hold_out(X, targets, train_rng, stratify)
        # No improvement by `tol` for n_iter_no_change epochs in a row stops training; the
        # validation loss is watched (its best weights restored) or else the training loss.
        stopping = EarlyStopping("loss" if validation is None else "val_loss",
                                 patience=self.n_iter_no_change, min_delta=self.tol,
                                 restore_best_weights=validation is not None)
        history = fit(model, X, targets, loss=loss, optimizer=optimizer, epochs=self.max_iter,
                      batch_size=self._batch_rows(len(X), optimizer), seed=train_rng,
                      validation_data=validation, callbacks=[stopping])
        self.model_ = model  # only now: a failed fit leaves no half-trained model behind
        self._record(history)

    def _hold_out(self, X: np.ndarray, targets: np.ndarray, rng: np.random.Generator,
                  stratify: bool) -> tuple[np.ndarray, np.ndarray, Any]:
        """(X_train, targets_train, (X_val, targets_val) or None) for early stopping."""
        if not self.early_stopping:
            return X, targets, None
        if len(X) < 2:
            raise invalid("X", type(self).__name__, "at least 2 samples with "
                          "early_stopping=True (some are held out)", f"{len(X)} sample",
                          raw=True)
        parts = train_test_split(X, targets, test_size=self.validation_fraction, seed=rng,
                                 stratify=stratify)
        return parts.X_train, parts.y_train, (parts.X_test, parts.y_test)

    def _optimizer(self) -> GradientTransformation | Solver:
        """The named optimizer at `learning_rate`, behind an L2 penalty if weight_decay > 0."""
        owner, name = type(self).__name__, self.optimizer
        if OPTIMIZERS.fact(name, "full_batch"):
            if self.weight_decay != 0:
                raise invalid("weight_decay", owner, f"0 with the full-batch solver {name!r}, "
                              "which minimizes the loss alone", self.weight_decay)
            return get_optimizer(name, owner=owner)
        step = get_optimizer(name, owner=owner, alpha=float(self.learning_rate))
        return chain(l2_penalty(float(self.weight_decay)), step) if self.weight_decay else step

    def _batch_rows(self, n_train: int, optimizer: Any) -> int | None:
        """Rows per step, None for full batch; more than n_train is cut to it, as in sklearn."""
        if isinstance(optimizer, Solver) or self.batch_size is None:
            return None
        rows = min(200, n_train) if self.batch_size == "auto" else int(self.batch_size)
        return None if rows >= n_train else rows

    def _record(self, history: History) -> None:
        """The learned attributes that describe training."""
        self.loss_curve_ = [float(v) for v in history["loss"]]
        self.n_iter_ = len(self.loss_curve_)
        self.t_ = history.iterations
        self.best_loss_ = min(self.loss_curve_)
        validation = history.history.get("val_loss")
        curve = None if validation is None else [float(v) for v in validation]
        self.validation_loss_curve_ = curve
        self.best_validation_loss_ = None if curve is None else min(curve)

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a fit has finished (validate_data sets n_features_in_ before training)."""
        return hasattr(self, "model_")

    def _forward(self, X: Any) -> np.ndarray:
        """The model's outputs for X: (n_samples, n_features) -> (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype)
        return self.model_.predict(X)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier. X: (n_samples, n_features), y: (n_samples,).

    Labels may be anything `numpy.unique` can sort (strings, ints). Two
    classes: one sigmoid output and binary cross-entropy; more: a softmax
    output and softmax cross-entropy (both fused with their loss on logits).
    See the module docstring for the hyperparameters and their sklearn names.

    Learned: ``classes_``, ``n_features_in_``, ``model_`` (the trained `MLP`),
    ``loss_curve_`` (training loss per epoch), ``n_iter_`` (epochs run), ``t_``
    (steps), ``best_loss_`` (lowest training loss), ``validation_loss_curve_``
    and ``best_validation_loss_`` (None without early stopping).
    """

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on X: (n_samples, n_features) and labels y: (n_samples,); returns self."""
        X, y = validate_data(self, X, y, dtype=DTYPES[self._check_settings()])
        check_classification_targets(y)
        classes, labels = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise invalid("y", type(self).__name__, "labels of at least 2 classes",
                          f"1 class ({classes.tolist()[0]!r})", raw=True)
        if len(classes) == 2:
            self._train(X, labels[:, None], n_outputs=1, output="sigmoid",
                        loss="binary_crossentropy", stratify=True)
        else:
            self._train(X, labels, n_outputs=len(classes), output="softmax",
                        loss="softmax_crossentropy", stratify=True)
        self.classes_ = classes
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: (n_samples, n_classes), columns in the order of `classes_`."""
        out = self._forward(X)
        return np.hstack([1 - out, out]) if len(self.classes_) == 2 else out

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample: (n_samples,), labels from `classes_`."""
        probabilities = self.predict_proba(X)  # first: it raises NotFittedError before fit
        return self.classes_[np.argmax(probabilities, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor. X: (n_samples, n_features), y: (n_samples[, n_outputs]).

    A linear output layer trained on the mean squared error. `predict` returns
    (n_samples,) when y had one column, as scikit-learn's MLPRegressor does.
    See the module docstring for the hyperparameters and their sklearn names.

    Learned: ``n_outputs_``, ``n_features_in_``, ``model_`` (the trained `MLP`),
    ``loss_curve_``, ``n_iter_``, ``t_``, ``best_loss_``, ``validation_loss_curve_``
    and ``best_validation_loss_`` (as in `MLPClassifier`).
    """

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on X: (n_samples, n_features) and y: (n_samples[, n_outputs]); returns self."""
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=DTYPES[self._check_settings()])
        targets = y.reshape(len(y), -1)
        self._train(X, targets, n_outputs=targets.shape[1], output="linear", loss="mse",
                    stratify=False)
        self.n_outputs_ = targets.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out[:, 0] if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _hidden_sizes(value: Any, owner: str) -> list[int]:
    """Hidden layer sizes as a list of ints >= 1 (one int for one layer, () for none)."""
    sizes = [value] if isinstance(value, numbers.Integral) else value
    expected = "an int or a sequence of ints in the range [1, inf)"
    if isinstance(sizes, str | bytes | dict) or not hasattr(sizes, "__iter__"):
        raise invalid("hidden_layer_sizes", owner, expected, value)
    sizes = list(sizes)
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1
               for n in sizes):
        raise invalid("hidden_layer_sizes", owner, expected, value)
    return [int(n) for n in sizes]


def _check_float(name: str, owner: str, value: Any, *, low: float, low_open: bool = True,
                 high: float = np.inf) -> None:
    """Raise unless `value` is a real number in the range (low, high) ([low, ... if not open)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if ok and (value > low if low_open else value >= low) and value < high:
        return
    right = "inf)" if np.isinf(high) else f"{high:g})"
    raise invalid(name, owner, f"a float in the range {'(' if low_open else '['}{low:g}, "
                  f"{right}", value)


def _check_batch_size(value: Any, owner: str) -> None:
    if isinstance(value, str):
        check_choice("batch_size", owner, value, ("auto",))
    elif value is not None:
        check_int("batch_size", owner, value, low=1)


def _generators(random_state: Any, owner: str) -> tuple[np.random.Generator, ...]:
    """Independent generators for initialization and for splitting and shuffling.

    random_state: None (fresh entropy from the operating system, never NumPy's
    global generator), an int >= 0, or a RandomState / Generator to draw a seed from.
    """
    if isinstance(random_state, np.random.RandomState):
        entropy: Any = [int(v) for v in random_state.randint(2**32, size=4, dtype=np.uint64)]
    elif isinstance(random_state, np.random.Generator):
        entropy = [int(v) for v in random_state.integers(2**32, size=4)]
    elif random_state is None or (isinstance(random_state, numbers.Integral)
                                  and not isinstance(random_state, bool) and random_state >= 0):
        entropy = None if random_state is None else int(random_state)
    else:
        raise invalid("random_state", owner, "None, an int >= 0, a numpy RandomState or "
                      "Generator", random_state)
    return tuple(np.random.default_rng(s) for s in np.random.SeedSequence(entropy).spawn(2))
