"""mlplab.sklearn: the estimators pass scikit-learn's own checks and work in its tools."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mlplab import DivergenceError
from mlplab.sklearn import MLPClassifier, MLPRegressor

# Quick settings: every check fits several times; these reach the checks' accuracy and R^2
# thresholds in a fraction of the default 200 epochs of 100 units.
QUICK = dict(hidden_layer_sizes=(16,), learning_rate=0.01, max_iter=50, random_state=0)


@parametrize_with_checks([MLPClassifier(**QUICK), MLPRegressor(**QUICK)])
def test_passes_scikit_learn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input (run with NumPy arrays, as for every estimator) skips itself
    # unless SCIPY_ARRAY_API is set; scikit-learn reads it when the check runs.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


def blobs(labels, n=150, seed=0):
    """Well-separated clusters in 2-D, one per label, with those labels as y."""
    X, index = make_blobs(n_samples=n, centers=len(labels), cluster_std=0.6, random_state=seed)
    return StandardScaler().fit_transform(X), np.asarray(labels)[index]


def smooth_function(n=400, seed=0):
    """y = sin(2 x0) + x1^2 / 2 on the square [-2, 2]^2."""
    X = np.random.default_rng(seed).uniform(-2, 2, size=(n, 2))
    return X, np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2


def test_digits_accuracy_above_ninety_percent():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    # The defaults, with 40 epochs instead of up to 200 to keep the test fast.
    model = MLPClassifier(max_iter=40, random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) > 0.9
    assert model.n_iter_ == 40 and len(model.loss_curve_) == 40


def test_regression_on_a_smooth_function():
    X, y = smooth_function()
    model = MLPRegressor(hidden_layer_sizes=(32, 32), activation="tanh", learning_rate=0.01,
                         random_state=0).fit(X[:300], y[:300])
    assert r2_score(y[300:], model.predict(X[300:])) > 0.97
    assert model.predict(X[300:]).shape == (100,)


def test_multi_output_regression_predicts_every_column():
    X, y = smooth_function()
    Y = np.column_stack([y, -2 * y + 1])
    model = MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", learning_rate=0.01,
                         random_state=0).fit(X, Y)
    assert model.n_outputs_ == 2 and model.predict(X).shape == (400, 2)
    assert r2_score(Y, model.predict(X), multioutput="raw_values").min() > 0.9


def test_a_column_vector_target_predicts_one_dimensional_like_sklearn():
    X, y = smooth_function(n=50)
    model = MLPRegressor(**QUICK).fit(X, y[:, None])
    assert model.n_outputs_ == 1 and model.predict(X).shape == (50,)


@pytest.mark.parametrize("labels", [["cat", "dog", "emu"], ["yes", "no"], [7, -1, 30]])
def test_arbitrary_labels_are_encoded_and_given_back(labels):
    X, y = blobs(labels)
    model = MLPClassifier(**QUICK).fit(X, y)
    assert list(model.classes_) == sorted(labels)
    predicted = model.predict(X)
    assert predicted.dtype == y.dtype and set(predicted) <= set(labels)
    assert np.mean(predicted == y) > 0.95
    probabilities = model.predict_proba(X)
    assert probabilities.shape == (len(X), len(labels))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)
    # Column k is the probability of classes_[k]: the true class's column is the largest.
    truth = np.searchsorted(model.classes_, y)
    assert np.mean(probabilities.argmax(axis=1) == truth) > 0.95


def test_one_class_is_refused_in_the_template():
    X, _ = blobs(["a", "b"])
    message = ("The 'y' parameter of MLPClassifier must be labels of at least 2 classes. "
               "Got 1 class ('a') instead.")
    with pytest.raises(ValueError, match=re.escape(message)):
        MLPClassifier(**QUICK).fit(X, ["a"] * len(X))


BAD_SETTINGS = [
    ("learning_rate", -0.1, "a float in the range (0, inf). Got -0.1"),
    ("learning_rate", 0, "a float in the range (0, inf). Got 0"),
    ("activation", "swish", "one of 'leaky_relu', 'linear', 'relu', 'sigmoid', 'softmax', "
                            "'tanh'. Got 'swish'"),
    ("optimizer", "newton", "one of 'adadelta', 'adagrad', 'adam', 'adamax', 'adamw', 'asgd', "
                            "'bfgs', 'lbfgs', 'momentum', 'nadam', 'nesterov', 'radam', "
                            "'rmsprop', 'rprop', 'sgd'. Got 'newton'"),
    ("hidden_layer_sizes", (10, 0), "an int or a sequence of ints in the range [1, inf). "
                                    "Got (10, 0)"),
    ("hidden_layer_sizes", "10", "an int or a sequence of ints in the range [1, inf)"),
    ("batch_size", 0, "an int in the range [1, inf). Got 0"),
    ("batch_size", "all", "one of 'auto'. Got 'all'"),
    ("max_iter", 0, "an int in the range [1, inf). Got 0"),
    ("tol", -1e-3, "a float in the range [0, inf). Got -0.001"),
    ("n_iter_no_change", 0, "an int in the range [1, inf). Got 0"),
    ("early_stopping", "yes", "True or False. Got 'yes'"),
    ("validation_fraction", 1.0, "a float in the range (0, 1). Got 1.0"),
    ("weight_decay", -1.0, "a float in the range [0, inf). Got -1.0"),
    ("random_state", -3, "None, an int >= 0, a numpy RandomState or Generator. Got -3"),
    ("dtype", "float16", "one of 'float32', 'float64'. Got 'float16'"),
]


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(("name", "value", "expected"), BAD_SETTINGS)
def test_bad_settings_fail_at_fit_in_the_template(estimator_class, name, value, expected):
    X, y = blobs(["a", "b"], n=20)
    y = (y == "a").astype(float) if estimator_class is MLPRegressor else y
    estimator = estimator_class(**{**QUICK, name: value})  # building it never raises
    owner = estimator_class.__name__
    with pytest.raises(ValueError, match=re.escape(f"The '{name}' parameter of {owner} must "
                                                   f"be {expected}")):
        estimator.fit(X, y)


def test_weight_decay_with_a_full_batch_solver_is_refused():
    X, y = blobs(["a", "b"], n=20)
    with pytest.raises(ValueError, match=re.escape(
            "The 'weight_decay' parameter of MLPClassifier must be 0 with the full-batch "
            "solver 'lbfgs'")):
        MLPClassifier(optimizer="lbfgs", weight_decay=0.1).fit(X, y)


@pytest.mark.parametrize(("estimator", "method"), [
    (MLPClassifier(), "predict"), (MLPClassifier(), "predict_proba"), (MLPClassifier(), "score"),
    (MLPRegressor(), "predict"), (MLPRegressor(), "score")])
def test_using_an_unfitted_estimator_raises_not_fitted(estimator, method):
    X = np.zeros((3, 2))
    with pytest.raises(NotFittedError):
        getattr(estimator, method)(*([X, [0, 1, 0]] if method == "score" else [X]))


@pytest.mark.parametrize("estimator_class", [MLPClassifier, MLPRegressor])
def test_wrong_feature_count_at_predict_names_x(estimator_class):
    X, y = blobs([0, 1], n=30)
    model = estimator_class(**QUICK).fit(np.column_stack([X, X]), y)
    with pytest.raises(ValueError, match=f"X has 2 features, but {estimator_class.__name__} "
                                         "is expecting 4 features as input"):
        model.predict(X)


def test_a_diverging_fit_raises_and_leaves_no_model_behind():
    X, y = smooth_function(n=50)
    model = MLPRegressor(**dict(QUICK, optimizer="sgd", learning_rate=10.0))
    with pytest.raises(DivergenceError, match="Training diverged"):
        model.fit(X, 1e6 * y)
    with pytest.raises(NotFittedError):
        model.predict(X)


def test_same_random_state_gives_the_same_predictions():
    X, y = load_iris(return_X_y=True)
    settings = dict(QUICK, early_stopping=True, random_state=3)  # the split draws too
    first = MLPClassifier(**settings).fit(X, y)
    second = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert first.loss_curve_ == second.loss_curve_
    other = MLPClassifier(**dict(settings, random_state=4)).fit(X, y)
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))


def test_no_global_random_state_is_used_or_changed():
    X, y = load_iris(return_X_y=True)
    np.random.seed(0)
    before = np.random.get_state()
    fits = [MLPClassifier(**dict(QUICK, random_state=None, early_stopping=True)).fit(X, y)
            for _ in range(2)]
    after = np.random.get_state()
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2] == after[2]
    # random_state=None draws fresh entropy (from the OS, not the global generator).
    assert not np.array_equal(fits[0].model_.params[0], fits[1].model_.params[0])


def test_a_random_state_instance_is_drawn_from_like_sklearn():
    X, y = load_iris(return_X_y=True)
    rng = np.random.RandomState(5)
    model = MLPClassifier(**dict(QUICK, max_iter=2, random_state=rng))
    first = model.fit(X, y).model_.get_weights()[0]
    second = model.fit(X, y).model_.get_weights()[0]  # the RandomState moved on
    assert not np.array_equal(first, second)
    again = MLPClassifier(**dict(QUICK, max_iter=2, random_state=np.random.RandomState(5)))
    np.testing.assert_array_equal(again.fit(X, y).model_.get_weights()[0], first)


def test_normal_use_prints_no_warnings_but_convergence_warnings():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        classifier = MLPClassifier(**dict(QUICK, max_iter=5)).fit(X, y)  # not converged
        classifier.predict_proba(X)
        classifier.predict_log_proba(X)
        classifier.score(X, y)
        MLPRegressor(**QUICK).fit(X, y.astype(float)).score(X, y)
        MLPClassifier(**dict(QUICK, early_stopping=True)).fit(X, y)
    assert caught and all(w.category is ConvergenceWarning for w in caught)
    assert caught[0].filename == __file__  # it points at the user's call of fit


def test_in_a_pipeline():
    X, y = smooth_function()
    X = X * [1000, 0.001]  # unscaled inputs: the pipeline's scaler must matter
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPRegressor(**QUICK))])
    pipe.set_params(mlp__hidden_layer_sizes=(32,), mlp__activation="tanh", mlp__max_iter=200)
    pipe.fit(X[:300], y[:300])
    assert pipe.score(X[300:], y[300:]) > 0.95
    assert pipe.named_steps["mlp"].n_features_in_ == 2


def test_grid_search_picks_the_learning_rate_that_learns():
    X, y = blobs(["a", "b", "c"], n=120)
    search = GridSearchCV(MLPClassifier(**QUICK), {"learning_rate": [1e-7, 0.01]}, cv=3)
    search.fit(X, y)
    assert search.best_params_ == {"learning_rate": 0.01}
    assert search.best_score_ > 0.95
    assert search.best_estimator_.learning_rate == 0.01


def test_cross_val_score():
    X, y = load_iris(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", MLPClassifier(**QUICK))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85


def test_early_stopping_stops_n_iter_no_change_epochs_after_the_best():
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=0.05, max_iter=1000,
                          tol=0.0, early_stopping=True, n_iter_no_change=5, random_state=0)
    model.fit(StandardScaler().fit_transform(X), y)
    curve = np.array(model.validation_loss_curve_)
    assert model.n_iter_ < 1000 and len(curve) == len(model.loss_curve_) == model.n_iter_
    # With tol 0 any decrease counts: the best epoch is the minimum, then 5 epochs without.
    assert model.n_iter_ == np.argmin(curve) + 5 + 1
    assert model.best_validation_loss_ == curve.min()


def test_without_early_stopping_training_stops_when_the_training_loss_stalls():
    X, y = load_iris(return_X_y=True)
    # A tol larger than any possible improvement: only the first epoch counts as better.
    model = MLPClassifier(**dict(QUICK, tol=1e9, n_iter_no_change=3)).fit(X, y)
    assert model.n_iter_ == 4 and model.validation_loss_curve_ is None
    assert model.best_loss_ == min(model.loss_curve_)


@pytest.mark.parametrize(("batch_size", "steps_per_epoch"),
                         [("auto", 2), (100, 3), (None, 1), (1000, 1)])
def test_batch_size(batch_size, steps_per_epoch):
    X, y = smooth_function(n=250)  # "auto" is min(200, n): 2 steps; 1000 is cut to 250
    model = MLPRegressor(**dict(QUICK, max_iter=3, batch_size=batch_size)).fit(X, y)
    assert model.t_ == 3 * steps_per_epoch


def test_weight_decay_adds_decay_times_weights_to_the_gradient():
    # No hidden layer: a linear model whose one full-batch SGD step is easy to write out.
    X, y = smooth_function(n=40)
    settings = dict(hidden_layer_sizes=(), optimizer="sgd", learning_rate=0.1, batch_size=None,
                    max_iter=1, random_state=7)
    W_plain, b_plain = MLPRegressor(**settings).fit(X, y).model_.get_weights()
    W_decayed, b_decayed = MLPRegressor(**settings, weight_decay=0.5).fit(X, y).model_.get_weights()
    # W1 = W0 - lr (g + decay W0), so the difference gives back the initial weights W0.
    W0, b0 = (W_decayed - W_plain) / (-0.1 * 0.5), (b_decayed - b_plain) / (-0.1 * 0.5)
    error = 2 / len(X) * (X @ W0 + b0 - y[:, None])  # d mean((out - y)^2) / d out
    np.testing.assert_allclose(W_plain, W0 - 0.1 * X.T @ error, rtol=1e-10)
    np.testing.assert_allclose(b_plain, b0 - 0.1 * error.sum(axis=0), atol=1e-12)


def test_float32_end_to_end_agrees_with_float64():
    X, y = blobs(["a", "b", "c"])
    single = MLPClassifier(**dict(QUICK, dtype="float32")).fit(X, y)
    assert single.model_.dtype == "float32"
    assert all(p.dtype == np.float32 for p in single.model_.params)
    assert single.predict_proba(X).dtype == np.float32
    double = MLPClassifier(**QUICK).fit(X, y)  # the same start, rounded to float32
    np.testing.assert_allclose(single.predict_proba(X), double.predict_proba(X), atol=1e-4)


def test_lbfgs_trains_full_batch():
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(hidden_layer_sizes=(10,), optimizer="lbfgs", max_iter=100,
                          random_state=0).fit(StandardScaler().fit_transform(X), y)
    assert model.score(StandardScaler().fit_transform(X), y) > 0.95
    assert model.t_ == model.n_iter_ <= 100
