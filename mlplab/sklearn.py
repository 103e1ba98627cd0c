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
shuffle, verbose            shuffle, verbose            the same ("Iteration 1, loss = ...")
warm_start                  warm_start                  also keeps the optimizer's state
class_weight                (SGDClassifier's)           None, "balanced" or {label: weight}
dtype                       (none)                      "float64" or "float32" end to end
==========================  ==========================  ======================================

``fit`` and ``partial_fit`` take ``sample_weight`` (see `mlplab.train.fit`:
each batch's loss is the weighted mean, so integer weights equal repeated
rows); class weights multiply into it. ``max_iter`` epochs without the
stopping criterion firing raise scikit-learn's ConvergenceWarning.

scikit-learn's ``alpha`` is an L2 penalty strength, not a learning rate, and
this module has no parameter called alpha. Here the penalty is ``weight_decay``:
every step adds ``weight_decay * W`` to the gradient of the mean loss, for
every parameter (biases too), i.e. ``l2_penalty(weight_decay)`` chained in
front of the optimizer. scikit-learn adds ``alpha * W / batch_size`` to the
weights' gradient only, so its ``alpha=a`` is about ``weight_decay=a / batch_size``.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from mlplab._checks import check_choice, check_int, invalid
from mlplab.activations import get_activation
from mlplab.callbacks import Callback, EarlyStopping
from mlplab.data.splitting import train_test_split
from mlplab.history import History
from mlplab.layers import Dense
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
                 shuffle: bool = True, tol: float = 1e-4, n_iter_no_change: int = 10,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 weight_decay: float = 0.0, dropconnect: float = 0.0, random_state: Any = None,
                 warm_start: bool = False, verbose: bool = False,
                 dtype: str = "float64") -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.weight_decay = weight_decay
        self.dropconnect = dropconnect
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
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
        for name in ("shuffle", "early_stopping", "warm_start", "verbose"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise invalid(name, owner, "True or False", getattr(self, name))
        _check_float("validation_fraction", owner, self.validation_fraction, low=0.0, high=1.0)
        _check_float("dropconnect", owner, self.dropconnect, low=0.0, low_open=False, high=1.0)
        _check_float("weight_decay", owner, self.weight_decay, low=0.0, low_open=False)
        return dtype_name(self.dtype, owner)

    def _train(self, X: np.ndarray, targets: np.ndarray, weights: np.ndarray | None, *,
               n_outputs: int, output: str, loss: str, incremental: bool = False) -> None:
        """Train `model_` on checked X: (n, n_features), targets: (n, ...), weights: (n,).

        A new network, or with warm_start / `incremental` (partial_fit) the fitted
        one, continuing from its optimizer's state. `incremental` is one pass of
        steps over the data, without stopping criteria or a held-out split.
        """
        owner = type(self).__name__
        optimizer = self._optimizer()
        init_rng, train_rng = _generators(self.random_state, owner)
        architecture = ([X.shape[1], *_hidden_sizes(self.hidden_layer_sizes, owner), n_outputs],
                        self.activation, output, X.dtype.name, float(self.dropconnect))
        continuing = (incremental or self.warm_start) and hasattr(self, "model_")
        model, state = self._network(architecture, continuing, init_rng)
        X, targets, weights, validation = (
            (X, targets, weights, None) if incremental
            else self._hold_out(X, targets, weights, train_rng, stratify=loss != "mse"))
        callbacks: list[Any] = [] if incremental else [self._stopping(validation)]
        callbacks += [_Verbose(len(self.loss_curve_) if continuing else 0)] if self.verbose else []
        saved = model.get_weights() if continuing else None
        try:
            history = fit(model, X, targets, loss=loss, optimizer=optimizer,
                          epochs=1 if incremental else self.max_iter,
                          batch_size=self._batch_rows(len(X), optimizer), shuffle=self.shuffle,
                          seed=train_rng, validation_data=validation, callbacks=callbacks,
                          metrics=[_score_metric(loss)] if validation is not None else [],
                          sample_weight=weights, optimizer_state=state)
        except BaseException:
            if saved is not None:  # a failed warm fit leaves the fitted network as it was
                model.set_weights(saved)
            raise
        self.model_ = model  # only now: a failed fit leaves no half-trained model behind
        self._architecture = architecture
        self._optimizer_state = (self._optimizer_key(), history.optimizer_state)
        self._record(history, continuing, validation is not None)
        if not incremental:
            self._warn_if_not_converged(history, callbacks[0])

    def _network(self, architecture: tuple, continuing: bool,
                 init_rng: np.random.Generator) -> tuple[MLP, Any]:
        """(model, optimizer state): the fitted ones to continue, or a new MLP and None."""
        if continuing:
            self._check_same_network(architecture)
            return self.model_, self._continued_state()
        sizes, activation, output, dtype, dropconnect = architecture
        return MLP(sizes, activation=activation, output_activation=output, seed=init_rng,
                   dtype=dtype, dropconnect=dropconnect), None

    def _check_same_network(self, architecture: tuple) -> None:
        """warm_start and partial_fit continue the fitted network: its shape must not change."""
        if architecture != self._architecture:
            names = ("layer sizes", "activation", "output", "dtype", "dropconnect")
            changed = [f"{name} {old!r} -> {new!r}" for name, old, new
                       in zip(names, self._architecture, architecture, strict=True) if old != new]
            raise invalid("warm_start", type(self).__name__, "data and settings that keep the "
                          "fitted network (or warm_start=False for a new one)",
                          "; ".join(changed), raw=True)

    def _continued_state(self) -> Any:
        """The optimizer state to continue from: the last fit's, if the optimizer is the same."""
        key, state = getattr(self, "_optimizer_state", (None, None))
        return state if key == self._optimizer_key() else None

    def _optimizer_key(self) -> tuple:
        return (self.optimizer, float(self.learning_rate), float(self.weight_decay))

    def _stopping(self, validation: Any) -> EarlyStopping:
        """No improvement by `tol` for n_iter_no_change epochs in a row stops training; the
        validation loss is watched (its best weights restored) or else the training loss."""
        return EarlyStopping("loss" if validation is None else "val_loss",
                             patience=self.n_iter_no_change, min_delta=self.tol,
                             restore_best_weights=validation is not None)

    def _warn_if_not_converged(self, history: History, stopping: EarlyStopping) -> None:
        """scikit-learn's ConvergenceWarning: max_iter ran out before the stopping criterion."""
        if stopping.stopped_epoch is None and history.iterations and \
                len(history["loss"]) >= self.max_iter:
            warnings.warn(f"{type(self).__name__}: stopped at max_iter={self.max_iter} epochs "
                          f"before the loss stopped improving by tol={self.tol:g}; the "
                          "network has not converged (raise max_iter, or tol)",
                          ConvergenceWarning, stacklevel=5)

    def _hold_out(self, X: np.ndarray, targets: np.ndarray, weights: np.ndarray | None,
                  rng: np.random.Generator, stratify: bool) -> tuple[Any, Any, Any, Any]:
        """(X_train, targets_train, weights_train, (X_val, targets_val) or None)."""
        if not self.early_stopping:
            return X, targets, weights, None
        if len(X) < 2:
            raise invalid("X", type(self).__name__, "at least 2 samples with "
                          "early_stopping=True (some are held out)", f"{len(X)} sample",
                          raw=True)
        # The rows' numbers are split, so the weights follow their rows; the held-out loss
        # is unweighted, as are the validation scores.
        parts = train_test_split(np.arange(len(X))[:, None], targets,
                                 test_size=self.validation_fraction, seed=rng, stratify=stratify)
        train, test = parts.X_train[:, 0], parts.X_test[:, 0]
        return (X[train], targets[train], None if weights is None else weights[train],
                (X[test], targets[test]))

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

    def _record(self, history: History, continuing: bool, validated: bool) -> None:
        """The learned attributes that describe training (a continued fit adds to them)."""
        losses = [float(v) for v in history["loss"]]
        self.loss_curve_ = [*self.loss_curve_, *losses] if continuing else losses
        self.n_iter_ = len(self.loss_curve_)
        self.t_ = (self.t_ if continuing else 0) + history.iterations
        self.best_loss_ = min(self.loss_curve_)
        curve = [float(v) for v in history["val_loss"]] if validated else None
        self.validation_loss_curve_ = curve
        self.best_validation_loss_ = None if curve is None else min(curve)
        scores = history.history.get(f"val_{_score_name(self)}") if validated else None
        self.validation_scores_ = None if scores is None else [float(v) for v in scores]
        self.best_validation_score_ = (None if scores is None
                                       else max(self.validation_scores_))  # type: ignore[arg-type]

    def _partial_fit_check(self) -> None:
        """partial_fit takes steps: a full-batch solver cannot continue a pass at a time."""
        if OPTIMIZERS.fact(self.optimizer, "full_batch"):
            raise invalid("optimizer", type(self).__name__, "a gradient-step optimizer with "
                          f"partial_fit (the full-batch solver {self.optimizer!r} has no steps "
                          "to take one pass of)", self.optimizer)

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once a fit has finished (validate_data sets n_features_in_ before training)."""
        return hasattr(self, "model_")

    def _forward(self, X: Any) -> np.ndarray:
        """The model's outputs for X: (n_samples, n_features) -> (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=self.model_.dtype)
        return self.model_.predict(X)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Each layer's weight matrix, (n_in, n_out), as in scikit-learn (the live arrays)."""
        check_is_fitted(self)
        return [layer.params[0] for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Each layer's bias vector, (n_out,), as in scikit-learn (the live arrays)."""
        check_is_fitted(self)
        return [layer.params[1] for layer in self.model_.layers if isinstance(layer, Dense)]

    @property
    def n_layers_(self) -> int:
        """Layers counted as scikit-learn does: input, hidden layers and output."""
        check_is_fitted(self)
        return len(self.coefs_) + 1


class _Verbose(Callback):
    """scikit-learn's verbose lines: "Iteration 3, loss = 0.12345678" after every epoch."""

    def __init__(self, done: int) -> None:
        self.done = done  # epochs of earlier (warm) fits, so the count goes on

    def on_epoch_end(self, state: Any) -> None:
        history = state.history
        line = f"Iteration {self.done + state.epoch + 1}, loss = {float(history.last('loss')):.8f}"
        if "val_loss" in history:
            line += f", validation loss = {float(history.last('val_loss')):.8f}"
        print(line, flush=True)


def _r2(out: Any, y: Any) -> Any:
    """R^2 = 1 - sum (y - out)^2 / sum (y - mean y)^2 per output, averaged over the outputs
    (scikit-learn's `score` of a regressor); an output whose y is constant counts 1 if fitted
    exactly, else 0, as in r2_score."""
    residual = ((y - out) ** 2).sum(axis=-2)
    spread = ((y - y.mean(axis=-2, keepdims=True)) ** 2).sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(spread > 0, 1 - residual / spread, np.where(residual == 0, 1.0, 0.0))
    return r2.mean(axis=-1)


_r2.__name__ = "r2"


def _score_metric(loss: str) -> Any:
    """The validation score scikit-learn records: accuracy, or R^2 for a regressor."""
    return _r2 if loss == "mse" else "accuracy"


def _score_name(estimator: Any) -> str:
    return "r2" if isinstance(estimator, RegressorMixin) else "accuracy"


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier. X: (n_samples, n_features), y: (n_samples,).

    Labels may be anything `numpy.unique` can sort (strings, ints). Two
    classes: one sigmoid output and binary cross-entropy; more: a softmax
    output and softmax cross-entropy (both fused with their loss on logits).
    See the module docstring for the hyperparameters and their sklearn names.

    class_weight: None, "balanced" (class c weighs n_samples / (n_classes *
    count(c)), scikit-learn's definition) or a dict {label: weight} (others 1).
    It becomes per-sample weights, multiplied into `sample_weight`; see the
    README for why this and not the loss's own ``class_weights``.

    Learned: ``classes_``, ``n_features_in_``, ``n_outputs_``, ``model_`` (the
    trained `MLP`), ``coefs_`` and ``intercepts_`` (per layer, (n_in, n_out) and
    (n_out,)), ``n_layers_``, ``out_activation_`` ("logistic" or "softmax"),
    ``loss_curve_`` (training loss per epoch), ``n_iter_`` (epochs run), ``t_``
    (steps), ``best_loss_`` (lowest training loss), ``validation_loss_curve_``,
    ``best_validation_loss_``, ``validation_scores_`` (held-out accuracy per
    epoch) and ``best_validation_score_`` (those four None without early stopping).
    """

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 optimizer: str = "adam", learning_rate: float = 0.001,
                 batch_size: int | str | None = "auto", max_iter: int = 200,
                 shuffle: bool = True, tol: float = 1e-4, n_iter_no_change: int = 10,
                 early_stopping: bool = False, validation_fraction: float = 0.1,
                 weight_decay: float = 0.0, dropconnect: float = 0.0, random_state: Any = None,
                 warm_start: bool = False, verbose: bool = False, class_weight: Any = None,
                 dtype: str = "float64") -> None:
        super().__init__(hidden_layer_sizes, activation, optimizer=optimizer,
                         learning_rate=learning_rate, batch_size=batch_size, max_iter=max_iter,
                         shuffle=shuffle, tol=tol, n_iter_no_change=n_iter_no_change,
                         early_stopping=early_stopping, validation_fraction=validation_fraction,
                         weight_decay=weight_decay, dropconnect=dropconnect,
                         random_state=random_state, warm_start=warm_start, verbose=verbose,
                         dtype=dtype)
        self.class_weight = class_weight

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on X: (n_samples, n_features), labels y: (n_samples,) and optional weights
        sample_weight: (n_samples,); returns self. With warm_start, continues the fitted
        network (same classes) and its optimizer state."""
        warm = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(self, X, y, dtype=DTYPES[self._check_settings()], reset=not warm)
        check_classification_targets(y)
        classes = np.unique(y)
        if warm and not np.array_equal(classes, self.classes_):
            raise invalid("y", type(self).__name__, f"the classes of the fitted network "
                          f"{self.classes_.tolist()} with warm_start=True",
                          f"classes {classes.tolist()}", raw=True)
        if len(classes) < 2:
            raise invalid("y", type(self).__name__, "labels of at least 2 classes",
                          f"1 class ({classes.tolist()[0]!r})", raw=True)
        self._fit_labels(X, y, classes, sample_weight, incremental=False)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """One pass of steps over X, y (and sample_weight), continuing the optimizer's state.

        classes: every label the calls will see, required on the first call (as in
        scikit-learn) and, if given later, the same.
        """
        first = not hasattr(self, "model_")
        owner = type(self).__name__
        X, y = validate_data(self, X, y, dtype=DTYPES[self._check_settings()], reset=first)
        self._partial_fit_check()
        if self.class_weight == "balanced":
            raise invalid("class_weight", owner, "None or a dict with partial_fit ('balanced' "
                          "needs every label at once; compute it and pass the dict)",
                          self.class_weight)
        check_classification_targets(y)
        if first and classes is None:
            raise invalid("classes", owner, "every class label on the first call of "
                          "partial_fit", classes)
        known = self.classes_ if not first else None
        classes = known if classes is None else np.unique(np.asarray(classes))
        if known is not None and not np.array_equal(classes, known):
            raise invalid("classes", owner, f"the classes of the first call {known.tolist()}",
                          classes.tolist())
        if len(classes) < 2:
            raise invalid("classes", owner, "at least 2 class labels", classes.tolist())
        unseen = np.setdiff1d(np.unique(y), classes)
        if unseen.size:
            raise invalid("y", owner, f"labels among classes {classes.tolist()}",
                          f"labels {unseen.tolist()}", raw=True)
        self._fit_labels(X, y, classes, sample_weight, incremental=True)
        return self

    def _fit_labels(self, X: np.ndarray, y: np.ndarray, classes: np.ndarray,
                    sample_weight: Any, *, incremental: bool) -> None:
        """Encode y by `classes`, weigh by class and sample, and train."""
        labels = np.searchsorted(classes, y)
        weights = self._sample_weights(X, labels, classes, sample_weight)
        if len(classes) == 2:
            self._train(X, labels[:, None], weights, n_outputs=1, output="sigmoid",
                        loss="binary_crossentropy", incremental=incremental)
        else:
            self._train(X, labels, weights, n_outputs=len(classes), output="softmax",
                        loss="softmax_crossentropy", incremental=incremental)
        self.classes_ = classes
        self.n_outputs_ = 1 if len(classes) == 2 else len(classes)
        self.out_activation_ = "logistic" if len(classes) == 2 else "softmax"

    def _sample_weights(self, X: np.ndarray, labels: np.ndarray, classes: np.ndarray,
                        sample_weight: Any) -> np.ndarray | None:
        """sample_weight times the class weight of each sample's class; None if neither."""
        per_class = _class_weights(self.class_weight, classes, labels, type(self).__name__)
        if sample_weight is None and per_class is None:
            return None
        weights = (np.ones(len(X)) if sample_weight is None
                   else _check_sample_weight(sample_weight, X, dtype=X.dtype))
        return weights if per_class is None else weights * per_class[labels]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities: (n_samples, n_classes), columns in the order of `classes_`."""
        out = self._forward(X)
        return np.hstack([1 - out, out]) if len(self.classes_) == 2 else out

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of `predict_proba`: (n_samples, n_classes)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

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
    ``coefs_``, ``intercepts_``, ``n_layers_``, ``out_activation_`` ("identity"),
    ``loss_curve_``, ``n_iter_``, ``t_``, ``best_loss_``, ``validation_loss_curve_``,
    ``best_validation_loss_``, ``validation_scores_`` (held-out R^2 per epoch) and
    ``best_validation_score_`` (as in `MLPClassifier`).
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on X: (n_samples, n_features), y: (n_samples[, n_outputs]) and optional
        weights sample_weight: (n_samples,); returns self. With warm_start, continues the
        fitted network and its optimizer state."""
        return self._fit_targets(X, y, sample_weight, incremental=False,
                                 reset=not (self.warm_start and hasattr(self, "model_")))

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One pass of steps over X, y (and sample_weight), continuing the optimizer's state."""
        return self._fit_targets(X, y, sample_weight, incremental=True,
                                 reset=not hasattr(self, "model_"))

    def _fit_targets(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool,
                     reset: bool) -> MLPRegressor:
        X, y = validate_data(self, X, y, multi_output=True, y_numeric=True,
                             dtype=DTYPES[self._check_settings()], reset=reset)
        if incremental:
            self._partial_fit_check()
        targets = y.reshape(len(y), -1)
        weights = None if sample_weight is None else _check_sample_weight(sample_weight, X,
                                                                          dtype=X.dtype)
        self._train(X, targets, weights, n_outputs=targets.shape[1], output="linear",
                    loss="mse", incremental=incremental)
        self.n_outputs_ = targets.shape[1]
        self.out_activation_ = "identity"
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets: (n_samples,) for one output, else (n_samples, n_outputs)."""
        out = self._forward(X)
        return out[:, 0] if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _class_weights(class_weight: Any, classes: np.ndarray, labels: np.ndarray,
                   owner: str) -> np.ndarray | None:
    """One weight per class (in the order of `classes`) from class_weight, or None."""
    if class_weight is None:
        return None
    if isinstance(class_weight, str) and class_weight == "balanced":
        counts = np.bincount(labels, minlength=len(classes)).astype(float)
        with np.errstate(divide="ignore"):  # an absent class (partial data) weighs nothing
            return np.where(counts > 0, len(labels) / (len(classes) * counts), 0.0)
    if not isinstance(class_weight, dict):
        raise invalid("class_weight", owner, "None, 'balanced' or a dict {label: weight}",
                      class_weight)
    unknown = [k for k in class_weight if k not in set(classes.tolist())]
    bad = [v for v in class_weight.values() if isinstance(v, bool)
           or not isinstance(v, numbers.Real) or not np.isfinite(v) or v < 0]
    if unknown or bad:
        raise invalid("class_weight", owner, f"a dict from labels among {classes.tolist()} to "
                      "finite weights >= 0", class_weight)
    return np.array([float(class_weight.get(c, 1.0)) for c in classes.tolist()])


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
