"""Validation data and split, EarlyStopping, LearningRateScheduler, ProgressBar."""

import io

import numpy as np
import pytest

from mlplab import MLP, fit, sgd
from mlplab.callbacks import Callback, EarlyStopping, LearningRateScheduler, ProgressBar


def blobs(n=120, seed=0):
    """Three well-separated classes in 2-D, labels 0..2."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    centers = np.array([[0, 3], [3, 0], [-3, -3]])
    return centers[labels] + rng.normal(size=(n, 2)), labels


def classifier(seed=0):
    return MLP([2, 8, 3], activation="tanh", output_activation="softmax", seed=seed)


def test_validation_data_is_recorded_per_epoch():
    X, labels = blobs()
    history = fit(classifier(), X[:90], labels[:90], loss="softmax_crossentropy",
                  optimizer=sgd(0.5), epochs=5, metrics=["accuracy"],
                  validation_data=(X[90:], labels[90:]))
    assert history["val_loss"].shape == (5,) and history["val_accuracy"].shape == (5,)
    assert history["val_loss"][-1] < history["val_loss"][0]


def test_validation_loss_equals_loss_of_the_model_at_epoch_end():
    X, labels = blobs()
    seen = []

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            seen.append(state.model.get_weights())

    net = classifier()
    history = fit(net, X[:90], labels[:90], loss="softmax_crossentropy", optimizer=sgd(0.5),
                  epochs=3, validation_data=(X[90:], labels[90:]), callbacks=[Snapshot()])
    twin = classifier()
    twin.set_weights(seen[1])
    probabilities = twin.predict(X[90:])
    expected = -np.mean(np.log(probabilities[np.arange(30), labels[90:]]))
    assert history["val_loss"][1] == pytest.approx(expected, rel=1e-10)


def test_fit_validation_split_holds_rows_out_of_training():
    X, labels = blobs(n=100)
    sizes = []

    class BatchSize(Callback):
        def on_step_end(self, state):
            sizes.append(state.y_batch.shape[0])

    history = fit(classifier(), X, labels, loss="softmax_crossentropy", optimizer=sgd(0.1),
                  epochs=2, validation_split=0.2, seed=0, callbacks=[BatchSize()])
    assert sizes == [80, 80] and len(history["val_loss"]) == 2


def test_fit_validation_split_is_stratified_for_classification():
    X, labels = blobs(n=90)  # 30 rows per class
    counts = []

    class ClassCounts(Callback):
        def on_step_end(self, state):
            counts.append(np.bincount(state.y_batch.argmax(axis=1), minlength=3).tolist())

    fit(classifier(), X, labels, loss="softmax_crossentropy", epochs=1,
        validation_split=1 / 3, seed=0, callbacks=[ClassCounts()])
    assert counts == [[20, 20, 20]]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(validation_split=0.0), "'validation_split'.*\\(0, 1\\)"),
        (dict(validation_split=1.5), "'validation_split'"),
        (dict(validation_split=0.2, validation_data=(np.ones((2, 2)), [0, 1])), "alone"),
        (dict(validation_data=np.ones((2, 2))), "'validation_data'.*pair"),
        (dict(validation_data=(np.ones((2, 3)), [0, 1])), "'validation_data'.*2 columns"),
    ],
)
def test_bad_validation_arguments(kwargs, fragment):
    X, labels = blobs(n=30)
    with pytest.raises(ValueError, match=fragment):
        fit(classifier(), X, labels, loss="softmax_crossentropy", epochs=1, **kwargs)


def overfitting_problem():
    """Few noisy training points and a big network: validation loss turns up."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, size=(40, 1))
    y = np.sin(3 * X) + rng.normal(scale=0.4, size=X.shape)
    X_val = rng.uniform(-1, 1, size=(200, 1))
    return X[:12], y[:12], X_val, np.sin(3 * X_val)


def test_early_stopping_restores_the_best_weights():
    X, y, X_val, y_val = overfitting_problem()
    weights = []

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            weights.append(state.model.get_weights())

    stopper = EarlyStopping("val_loss", patience=20)
    net = MLP([1, 64, 64, 1], activation="tanh", seed=0)
    history = fit(net, X, y, loss="mse", optimizer=sgd(0.1), epochs=3000,
                  validation_data=(X_val, y_val), callbacks=[stopper, Snapshot()])
    best = int(np.argmin(history["val_loss"]))
    assert stopper.stopped_epoch is not None and len(history) < 3000
    assert len(history) == best + 1 + 20
    assert stopper.best_epoch == best and stopper.best == history["val_loss"][best]
    for kept, expected in zip(net.params, weights[best], strict=True):
        np.testing.assert_array_equal(kept, expected)


def test_early_stopping_watches_each_model_of_a_population():
    X, y, X_val, y_val = overfitting_problem()
    stopper = EarlyStopping("val_loss", patience=20)
    net = MLP([1, 64, 64, 1], activation="tanh", seed=[0, 1])
    history = fit(net, X, y, loss="mse", optimizer=sgd(np.array([0.1, 0.02])), epochs=3000,
                  validation_data=(X_val, y_val), callbacks=[stopper])
    val = history["val_loss"]
    assert val.shape[1] == 2
    np.testing.assert_array_equal(stopper.best_epoch, np.argmin(val, axis=0))
    final = net.predict(X_val)
    for k in range(2):
        assert np.mean((final[k] - y_val) ** 2) == pytest.approx(val.min(axis=0)[k], rel=1e-10)


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="'mode'"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="'patience'"):
        EarlyStopping(patience=-1)
    X, y, _, _ = overfitting_problem()
    with pytest.raises(ValueError, match=r"'monitor'.*val_loss"):
        fit(MLP([1, 1], seed=0), X, y, epochs=2, callbacks=[EarlyStopping("val_loss")])


def test_learning_rate_scheduler_scales_the_step():
    X, y, _, _ = overfitting_problem()
    halving = LearningRateScheduler(lambda epoch: 0.5**epoch)
    a = MLP([1, 4, 1], activation="tanh", seed=0)
    fit(a, X, y, optimizer=sgd(0.1), epochs=3, callbacks=[halving])
    b = MLP([1, 4, 1], activation="tanh", seed=0)
    for epoch in range(3):
        fit(b, X, y, optimizer=sgd(0.1 * 0.5**epoch), epochs=1)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12)
    assert halving.factors == [1.0, 0.5, 0.25]


def test_progress_bar_is_silent_off_a_terminal_and_shows_when_forced():
    pytest.importorskip("tqdm")
    X, y, _, _ = overfitting_problem()
    quiet = io.StringIO()
    fit(MLP([1, 1], seed=0), X, y, epochs=3, callbacks=[ProgressBar(file=quiet)])
    assert quiet.getvalue() == ""
    shown = io.StringIO()
    bar = ProgressBar(force=True, file=shown)
    fit(MLP([1, 1], seed=0), X, y, epochs=3, callbacks=[bar])
    assert "0/3" in shown.getvalue() and bar.bar.n == 3 and bar.bar.total == 3


def test_early_stopping_restores_running_statistics_with_the_weights():
    from mlplab import BatchNorm, Sequential
    from mlplab.layers import Activation, Dense

    X, y, X_val, y_val = overfitting_problem()
    buffers = []

    class Snapshot(Callback):
        def on_epoch_end(self, state):
            buffers.append(state.model.get_buffers())

    net = Sequential([Dense(1, 32), BatchNorm(32), Activation("tanh"), Dense(32, 1)], seed=0)
    history = fit(net, X, y, loss="mse", optimizer=sgd(0.05), epochs=2000,
                  validation_data=(X_val, y_val),
                  callbacks=[EarlyStopping("val_loss", patience=10), Snapshot()])
    best = int(np.argmin(history["val_loss"]))
    assert best < len(history) - 1
    for kept, expected in zip(net.buffers, buffers[best], strict=True):
        np.testing.assert_array_equal(kept, expected)
