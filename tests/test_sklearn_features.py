"""What scikit-learn's MLP users expect beyond the estimator checks: weights, warm starts,
partial_fit, verbose output, convergence warnings and the fitted attributes."""

import re
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.datasets import load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import recall_score
from sklearn.preprocessing import StandardScaler

from mlplab import fit
from mlplab.sklearn import MLPClassifier, MLPRegressor

QUICK = dict(hidden_layer_sizes=(8,), learning_rate=0.01, random_state=0)
RNG = np.random.default_rng(0)
not_converged = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def iris(n=60):
    X, y = load_iris(return_X_y=True)
    rows = RNG.permutation(len(X))[:n]
    return StandardScaler().fit_transform(X[rows]), y[rows]


@not_converged
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_integer_sample_weights_equal_repeated_rows(estimator):
    # Full batch ("auto" is min(200, n) rows) and no held-out split: every epoch is one step
    # on the whole set, whose weighted loss is that of the repeated rows (see mlplab.losses).
    X, y = iris(40)
    y = y if estimator is MLPClassifier else y + X[:, 0]
    weights = RNG.integers(0, 4, len(X))
    rows = np.repeat(np.arange(len(X)), weights)
    settings = dict(QUICK, max_iter=30, tol=0.0)
    weighted = estimator(**settings).fit(X, y, sample_weight=weights)
    repeated = estimator(**settings).fit(X[rows], y[rows])
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-11)
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def imbalanced(seed):
    X, y = make_classification(n_samples=1200, n_features=6, n_informative=4, weights=[0.93],
                               class_sep=0.6, flip_y=0.02, random_state=seed)
    return X[:800], y[:800], X[800:], y[800:]


@not_converged
def test_balanced_class_weight_raises_the_minority_recall():
    gains = []
    for seed in range(3):
        X, y, X_test, y_test = imbalanced(seed)
        settings = dict(QUICK, max_iter=60, batch_size=100)
        plain = MLPClassifier(**settings).fit(X, y)
        balanced = MLPClassifier(**settings, class_weight="balanced").fit(X, y)
        gains.append(recall_score(y_test, balanced.predict(X_test))
                     - recall_score(y_test, plain.predict(X_test)))
    assert min(gains) > 0.1, gains


@not_converged
def test_class_weight_is_a_per_sample_weight_times_sample_weight():
    X, y = iris()
    sample_weight = RNG.random(len(X)) + 0.5
    by_class = MLPClassifier(**QUICK, max_iter=5, class_weight={0: 2.0, 2: 0.5}).fit(
        X, y, sample_weight=sample_weight)
    by_sample = MLPClassifier(**QUICK, max_iter=5).fit(
        X, y, sample_weight=sample_weight * np.array([2.0, 1.0, 0.5])[y])
    np.testing.assert_array_equal(by_class.coefs_[0], by_sample.coefs_[0])
    counts = np.bincount(y)
    balanced = MLPClassifier(**QUICK, max_iter=5, class_weight="balanced").fit(X, y)
    by_count = MLPClassifier(**QUICK, max_iter=5).fit(
        X, y, sample_weight=(len(y) / (3 * counts))[y])
    np.testing.assert_array_equal(balanced.coefs_[0], by_count.coefs_[0])


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_over_chunks_equals_fit_over_the_same_batches(estimator):
    X, y = iris(60)
    settings = dict(QUICK, batch_size=20, shuffle=False, max_iter=2, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        whole = estimator(**settings).fit(X, y)
    chunks = estimator(**settings)
    extra = {"classes": [0, 1, 2]} if estimator is MLPClassifier else {}
    for _ in range(2):
        for start in range(0, 60, 20):
            chunks.partial_fit(X[start:start + 20], y[start:start + 20], **extra)
    for a, b in zip(whole.coefs_ + whole.intercepts_, chunks.coefs_ + chunks.intercepts_,
                    strict=True):
        np.testing.assert_array_equal(a, b)
    assert chunks.t_ == whole.t_ == 6 and chunks.n_iter_ == 6  # one "epoch" per call


@not_converged
def test_warm_start_continues_the_weights_and_the_optimizers_state():
    X, y = iris()
    settings = dict(QUICK, max_iter=10, tol=0.0, n_iter_no_change=100)
    once = MLPClassifier(**dict(settings, max_iter=20)).fit(X, y)
    twice = MLPClassifier(**settings, warm_start=True).fit(X, y).fit(X, y)
    np.testing.assert_array_equal(once.coefs_[0], twice.coefs_[0])
    assert twice.n_iter_ == 20 and twice.t_ == 20
    np.testing.assert_allclose(twice.loss_curve_, once.loss_curve_, rtol=1e-13)
    # The same weights with a fresh Adam state (its first, bias-corrected steps) differ.
    fresh = MLPClassifier(**settings).fit(X, y)
    fit(fresh.model_, X, y, loss="softmax_crossentropy", optimizer="adam", epochs=10)
    assert not np.allclose(fresh.coefs_[0], once.coefs_[0], rtol=1e-6)
    # Without warm_start a second fit starts over.
    cold = MLPClassifier(**settings).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 10


@not_converged
def test_warm_start_refuses_a_changed_network():
    X, y = iris()
    model = MLPClassifier(**QUICK, max_iter=2, warm_start=True).fit(X, y)
    model.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match=re.escape("layer sizes [4, 8, 3] -> [4, 5, 3]")):
        model.fit(X, y)
    model.set_params(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError, match=r"'y'.*classes of the fitted network"):
        model.fit(X[y < 2], y[y < 2])


def test_partial_fit_asks_for_classes_first_and_knows_its_limits():
    X, y = iris()
    with pytest.raises(ValueError, match="'classes'"):
        MLPClassifier(**QUICK).partial_fit(X, y)
    with pytest.raises(ValueError, match=r"'optimizer'.*full-batch solver 'lbfgs'"):
        MLPClassifier(**dict(QUICK, optimizer="lbfgs")).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="'class_weight'"):
        MLPClassifier(**QUICK, class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    model = MLPClassifier(**QUICK).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert model.classes_.tolist() == [0, 1, 2] and model.out_activation_ == "softmax"
    with pytest.raises(ValueError, match=r"'y'.*labels among classes \[0, 1, 2\]"):
        model.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match=r"'classes'.*the classes of the first call"):
        model.partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("class_weight", ["heavy", [1, 2], {7: 1.0}, {0: -1.0}])
def test_bad_class_weight_is_named(class_weight):
    X, y = iris()
    with pytest.raises(ValueError, match="'class_weight'"):
        MLPClassifier(**QUICK, class_weight=class_weight).fit(X, y)


def test_convergence_warning_only_when_max_iter_runs_out():
    X, y = iris()
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        MLPClassifier(**QUICK, max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = MLPClassifier(**QUICK, max_iter=500, tol=0.5, n_iter_no_change=2).fit(X, y)
    assert model.n_iter_ < 500
    with pytest.warns(ConvergenceWarning):
        MLPRegressor(**dict(QUICK, optimizer="lbfgs"), max_iter=2).fit(X, y.astype(float))


def relu_forward(estimator, X):
    """The network's output recomputed from coefs_ and intercepts_ alone."""
    a = X
    for i, (W, b) in enumerate(zip(estimator.coefs_, estimator.intercepts_, strict=True)):
        a = a @ W + b
        if i < len(estimator.coefs_) - 1:
            a = np.maximum(a, 0)
    return a


@not_converged
def test_fitted_attributes_match_scikit_learns_and_the_predictions():
    X, y = iris()
    binary = MLPClassifier(**dict(QUICK, hidden_layer_sizes=(8, 5)), max_iter=5).fit(
        X, y == 1)
    assert [W.shape for W in binary.coefs_] == [(4, 8), (8, 5), (5, 1)]
    assert [b.shape for b in binary.intercepts_] == [(8,), (5,), (1,)]
    assert binary.n_layers_ == 4 and binary.out_activation_ == "logistic"
    assert binary.n_outputs_ == 1
    p = expit(relu_forward(binary, X))[:, 0]
    np.testing.assert_allclose(binary.predict_proba(X), np.c_[1 - p, p], rtol=1e-12)
    np.testing.assert_allclose(binary.predict_log_proba(X), np.log(np.c_[1 - p, p]),
                               rtol=1e-12)
    multi = MLPClassifier(**QUICK, max_iter=5).fit(X, y)
    assert multi.out_activation_ == "softmax" and multi.n_layers_ == 3
    np.testing.assert_allclose(multi.predict_proba(X), softmax(relu_forward(multi, X), axis=1),
                               rtol=1e-12)
    regressor = MLPRegressor(**QUICK, max_iter=5).fit(X, np.c_[y, -y].astype(float))
    assert regressor.out_activation_ == "identity" and regressor.n_outputs_ == 2
    np.testing.assert_allclose(regressor.predict(X), relu_forward(regressor, X), rtol=1e-12)
    assert regressor.validation_scores_ is None and regressor.best_validation_score_ is None


@not_converged
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_validation_scores_with_early_stopping(estimator):
    X, y = iris(150)
    model = estimator(**QUICK, max_iter=30, early_stopping=True).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ == len(model.validation_loss_curve_)
    assert model.best_validation_score_ == max(scores)
    assert scores[-1] > 0.5  # accuracy, or R^2: the held-out rows are learned
    assert all(s <= 1 for s in scores)


@not_converged
def test_verbose_prints_the_loss_of_every_iteration(capsys):
    X, y = iris()
    model = MLPClassifier(**QUICK, max_iter=3, verbose=True, warm_start=True).fit(X, y)
    model.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Iteration {i}" for i in range(1, 7)]
    assert lines[-1] == f"Iteration 6, loss = {model.loss_curve_[-1]:.8f}"
    MLPClassifier(**QUICK, max_iter=2, verbose=True, early_stopping=True).fit(X, y)
    assert "validation loss = " in capsys.readouterr().out
