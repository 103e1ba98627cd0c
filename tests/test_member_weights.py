"""Per-member sample weights: a population with weights (K, n) trains member k exactly as a
single model trained with weights W[k] on the same batches."""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.batches import WeightedBatches
from mlplab.data.splitting import train_test_split
from mlplab.losses import SoftmaxCrossEntropy, get_loss, sample_factors
from mlplab.metrics import accuracy, mae
from mlplab.objective import Objective, member_metric

RNG = np.random.default_rng(5)
N, SEEDS = 30, [3, 8, 13]


def data(loss):
    X = RNG.normal(size=(N, 4))
    if loss == "mse":
        return X, np.c_[np.sin(X[:, 0]), X[:, 1] * X[:, 2]], "linear", "mae"
    labels = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    return X, labels, "softmax", "accuracy"


def member_weights():
    """Each member's own weights: 0/1 fold masks and some real weights."""
    W = (RNG.random((len(SEEDS), N)) > 0.25).astype(float)
    W[1] *= RNG.uniform(0.5, 3.0, N)  # not only 0 and 1
    return W


CASES = [(loss, batching) for loss in ("mse", "softmax_crossentropy")
         for batching in (dict(), dict(batch_size=7, seed=4))]
IDS = [f"{loss}-{'minibatch' if batching else 'full-batch'}" for loss, batching in CASES]


@pytest.mark.parametrize("loss, batching", CASES, ids=IDS)
def test_a_population_with_member_weights_equals_single_runs(loss, batching):
    X, y, output, metric = data(loss)
    W = member_weights()
    population = MLP([4, 6, 3 if output == "softmax" else 2], activation="tanh",
                     output_activation=output, seed=SEEDS)
    history = fit(population, X, y, loss=loss, optimizer="adam", epochs=6, sample_weight=W,
                  metrics=[metric], **batching)
    for k, seed in enumerate(SEEDS):
        single = MLP([4, 6, 3 if output == "softmax" else 2], activation="tanh",
                     output_activation=output, seed=seed)
        alone = fit(single, X, y, loss=loss, optimizer="adam", epochs=6, sample_weight=W[k],
                    **batching)
        np.testing.assert_allclose(np.asarray(history["loss"])[:, k], alone["loss"],
                                   rtol=1e-12)
        for ours, theirs in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(ours[k], theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss", ["mse", "softmax_crossentropy"])
def test_a_validation_split_splits_member_weights_along_the_rows(loss):
    X, y, output, metric = data(loss)
    W = member_weights()
    n_out = 3 if output == "softmax" else 2
    population = MLP([4, 6, n_out], output_activation=output, seed=SEEDS)
    history = fit(population, X, y, loss=loss, optimizer="adam", epochs=5, batch_size=6,
                  seed=2, sample_weight=W, validation_split=0.3, metrics=[metric])
    parts = train_test_split(np.arange(N)[:, None], y, test_size=0.3, seed=2,
                             stratify=loss != "mse")
    train, val = parts.X_train[:, 0], parts.X_test[:, 0]
    for k, seed in enumerate(SEEDS):
        single = MLP([4, 6, n_out], output_activation=output, seed=seed)
        alone = fit(single, X[train], y[train], loss=loss, optimizer="adam", epochs=5,
                    batch_size=6, seed=2, sample_weight=W[k, train],
                    validation_data=(X[val], y[val], W[k, val]))
        np.testing.assert_allclose(np.asarray(history["val_loss"])[:, k], alone["val_loss"],
                                   rtol=1e-12)
        for ours, theirs in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(ours[k], theirs, rtol=1e-12, atol=1e-14)
        # the member's validation metric counts its own validation rows (weight > 0) alone
        own = val[W[k, val] > 0]
        targets = np.eye(n_out)[y[own]] if output == "softmax" else y[own]
        expected = (accuracy if metric == "accuracy" else mae)(single.predict(X[own]), targets)
        np.testing.assert_allclose(history[f"val_{metric}"][-1][k], expected, rtol=1e-12)


def test_training_metrics_count_each_members_own_rows():
    X, y, _, _ = data("softmax_crossentropy")
    W = np.ones((2, N))
    W[0, : N // 2] = 0  # member 0 trains on the second half, member 1 on every row
    population = MLP([4, 5, 3], output_activation="softmax", seed=[1, 2])
    history = fit(population, X, y, loss="softmax_crossentropy", optimizer="adam", epochs=1,
                  sample_weight=W, metrics=["accuracy"])
    # full batch: the epoch's metric is the step's, at the weights before the step
    fresh = MLP([4, 5, 3], output_activation="softmax", seed=[1, 2])
    out, targets = fresh.predict(X), np.eye(3)[y]
    np.testing.assert_allclose(history["accuracy"][0], [accuracy(out[0, N // 2:],
                                                                 targets[N // 2:]),
                                                        accuracy(out[1], targets)], rtol=1e-12)
    # mini-batches: each batch counts by its share of the member's own rows, adding up to 1
    objective = Objective(fresh, get_loss("softmax_crossentropy"), X, np.eye(3)[y], W)
    batches = WeightedBatches(objective, 4, shuffle=False)
    shares = [batches.member_share for _ in batches.epoch()]
    np.testing.assert_allclose(np.sum(shares, axis=0), 1.0, rtol=1e-15)
    np.testing.assert_array_equal(np.asarray(shares)[:3, 0], 0.0)  # rows 0-11: none of 0's


def test_member_factors_are_the_single_models_and_a_member_without_weight_gets_zeros():
    loss = SoftmaxCrossEntropy(class_weights=[1.0, 2.0, 0.5])
    y = np.eye(3)[RNG.integers(0, 3, 8)]
    W = RNG.random((3, 8))
    W[2] = 0
    factors = sample_factors(loss, y, W)
    for k in range(2):
        np.testing.assert_allclose(factors[k], sample_factors(loss, y, W[k]), rtol=1e-15)
    np.testing.assert_array_equal(factors[2], 0.0)
    np.testing.assert_array_equal(sample_factors(get_loss("delta"), y, W), W)


def test_member_metric_counts_each_members_rows_of_positive_weight():
    out = RNG.random((2, 6, 1))
    y = RNG.random((6, 1))
    weights = np.array([[1, 0, 2, 0, 1, 0], [0, 0, 0, 0, 0, 0.0]])
    values = member_metric(mae, out, y, weights)
    assert values.shape == (2,)
    np.testing.assert_allclose(values[0], mae(out[0, [0, 2, 4]], y[[0, 2, 4]]), rtol=1e-15)
    assert values[1] == 0.0  # no rows: nothing to measure


@pytest.mark.parametrize("weights, message", [
    (np.ones((3, N - 1)), rf"\({N},\).*shape \(3, {N}\).*shape \(3, {N - 1}\)"),
    (np.ones((2, N)), rf"shape \(3, {N}\)"),
    (np.ones((3, N, 1)), "1-D or 2-D array"),
    (np.r_[[np.ones(N)], [np.zeros(N)], [np.ones(N)]], r"not all zero, for every member.*"
                                                       r"all zero for members \[1\]"),
    (np.r_[[np.ones(N)], [-np.ones(N)], [np.ones(N)]], "weights >= 0.*from -1 to 1"),
])
def test_bad_member_weights_are_named_with_the_shape_expected(weights, message):
    X, y, _, _ = data("mse")
    with pytest.raises(ValueError, match="'sample_weight'") as error:
        fit(MLP([4, 3, 2], seed=SEEDS), X, y, epochs=1, sample_weight=weights)
    assert error.match(message)


def test_a_single_model_takes_one_row_of_weights_only():
    X, y, _, _ = data("mse")
    with pytest.raises(ValueError, match=r"'sample_weight'.*1-D array"):
        fit(MLP([4, 3, 2], seed=0), X, y, epochs=1, sample_weight=np.ones((1, N)))


def test_aw_sgd_refuses_member_weights_and_takes_shared_ones():
    X, y, _, _ = data("mse")
    with pytest.raises(ValueError, match=r"'sampler'.*sample_weight of shape \(30,\)"):
        fit(MLP([4, 3, 2], seed=SEEDS), X, y, epochs=1, batch_size=5, sampler="aw-sgd",
            sample_weight=np.ones((3, N)))
    fit(MLP([4, 3, 2], seed=SEEDS), X, y, epochs=1, batch_size=5, sampler="aw-sgd",
        sample_weight=np.ones(N))


def test_validation_data_takes_weights_checked_like_sample_weight():
    X, y, _, _ = data("mse")
    net = MLP([4, 3, 2], seed=SEEDS)
    with pytest.raises(ValueError, match=r"'validation_data'.*shape \(3, 10\)"):
        fit(net, X, y, epochs=1, validation_data=(X[:10], y[:10], np.ones((3, 9))))
    with pytest.raises(ValueError, match=r"'validation_data'.*a pair \(X_val, y_val\) or a "
                                         r"triple"):
        fit(net, X, y, epochs=1, validation_data=(X[:10], y[:10], None, None))
    history = fit(net, X, y, epochs=1, validation_data=(X[:10], y[:10], np.ones(10)))
    assert np.shape(history["val_loss"]) == (1, 3)


def test_member_metrics_in_one_pass_equal_the_metric_on_each_members_rows():
    from mlplab.metrics import METRICS
    from mlplab.objective import member_metric

    rng = np.random.default_rng(3)
    out = rng.random((4, 30, 3))
    y = np.eye(3)[rng.integers(0, 3, 30)]
    weights = (rng.random((4, 30)) < 0.6) * rng.random((4, 30))
    weights[2] = 0.0  # a member without rows gets 0
    for name in METRICS.names():
        metric = METRICS[name]
        per_row = METRICS.fact(name, "per_row")
        assert per_row is not None, name  # every built-in metric has its per-row form
        np.testing.assert_allclose(np.mean(per_row(out, y), axis=-1), metric(out, y),
                                   rtol=1e-13)
        fast = member_metric(metric, out, y, weights)
        slow = member_metric(lambda o, t, m=metric: m(o, t), out, y, weights)  # the loop
        np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-15)
        for k in (0, 1, 3):
            rows = weights[k] > 0
            np.testing.assert_allclose(fast[k], metric(out[k][rows], y[rows]), rtol=1e-12)
        assert fast[2] == 0.0


def test_a_split_that_leaves_a_member_no_weighted_row_on_a_side_is_refused():
    from mlplab.data import load

    X, y = (np.asarray(a) for a in load("moons", seed=0))
    weights = np.ones((2, len(X)))
    weights[1] = 0.0
    weights[1, 5] = 1.0  # one row: wherever the split puts it, one side has none
    with pytest.raises(ValueError, match=r"'validation_split' parameter of fit .*leaves "
                                         r"members \[1\] no (training|validation) row"):
        fit(MLP([2, 3, 2], output_activation="softmax", seed=[1, 2]), X, y,
            loss="softmax_crossentropy", sample_weight=weights, validation_split=0.3,
            epochs=2, seed=0)
    shared = np.zeros(len(X))
    shared[7] = 1.0
    with pytest.raises(ValueError, match=r"leaves the model no (training|validation) row"):
        fit(MLP([2, 3, 2], output_activation="softmax", seed=1), X, y,
            loss="softmax_crossentropy", sample_weight=shared, validation_split=0.3, epochs=2)


def test_validation_gathers_each_members_rows_and_gets_the_same_values():
    from mlplab.callbacks.validation import _members_rows
    from mlplab.losses import get_loss
    from mlplab.objective import evaluate

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(60, 4)), np.eye(3)[rng.integers(0, 3, 60)]
    weights = (rng.random((3, 60)) < 0.25) * rng.integers(1, 3, (3, 60)).astype(float)
    net = MLP([4, 6, 3], output_activation="softmax", seed=[1, 2, 3])
    loss = get_loss("softmax_crossentropy")
    Xg, yg, wg = _members_rows(X, y, weights)
    m = int((weights > 0).sum(axis=1).max())
    assert Xg.shape == (3, m, 4) and yg.shape == (3, m, 3) and wg.shape == (3, m)
    full = evaluate(net, X, y, loss, ["accuracy", "mae", lambda o, t: (o * t).sum(-1).mean(-1)],
                    sample_weight=weights)
    gathered = evaluate(net, Xg, yg, loss, ["accuracy", "mae",
                                            lambda o, t: (o * t).sum(-1).mean(-1)],
                        sample_weight=wg)
    for key in full:
        np.testing.assert_allclose(gathered[key], full[key], rtol=1e-12)
    dense = np.ones((3, 60))  # every row watched by every member: nothing to save
    assert _members_rows(X, y, dense)[0] is X
