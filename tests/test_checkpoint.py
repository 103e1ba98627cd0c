"""Checkpoints: an interrupted and resumed run equals an uninterrupted one, bit for bit."""

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, Dropout, ModelFileError, Sequential, fit
from mlplab.callbacks import Callback, Checkpoint
from mlplab.layers import Activation
from mlplab.optim import adam, sgd
from mlplab.optim.schedules import exponential_decay


def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4))
    return X, (X[:, 0] * X[:, 1] > 0).astype(int)


def network(seed=0, dropout_seed=5):
    return Sequential([Dense(4, 16), BatchNorm(16), Activation("relu"),
                       Dropout(0.3, seed=dropout_seed), Dense(16, 2), Activation("softmax")],
                      seed=seed)


def train(net, epochs, **kwargs):
    return fit(net, *data(), loss="softmax_crossentropy", epochs=epochs, batch_size=16, seed=3,
               optimizer=adam(exponential_decay(0.01, 0.98)), metrics=["accuracy"],
               **kwargs)


class Stop(Callback):
    """Interrupts training after `epochs` epochs, as a crash or Ctrl-C would."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, state):
        if state.epoch + 1 == self.epochs:
            raise KeyboardInterrupt


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    whole = network()
    expected = train(whole, 10)

    path = tmp_path / "run.ckpt.npz"
    interrupted = network()
    with pytest.raises(KeyboardInterrupt):
        train(interrupted, 10, callbacks=[Checkpoint(path), Stop(4)])

    resumed = network(seed=99, dropout_seed=123)  # everything comes from the checkpoint
    history = train(resumed, 10, resume_from=path)
    for a, b in zip(resumed.params, whole.params, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(resumed.buffers, whole.buffers, strict=True):
        np.testing.assert_array_equal(a, b)
    for name in ("loss", "accuracy"):
        np.testing.assert_array_equal(history[name], expected[name])
    assert history.iterations == expected.iterations == 40


def test_checkpoint_every_n_epochs_and_at_the_end(tmp_path):
    saved = []

    class Spy(Checkpoint):
        def save(self, state):
            saved.append(state.epoch)
            super().save(state)

    train(network(), 7, callbacks=[Spy(tmp_path / "c.npz", every=3)])
    assert saved == [2, 5, 6]


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    path = tmp_path / "c.npz"
    train(network(), 1, callbacks=[Checkpoint(path)])
    other = Sequential([Dense(4, 8), Activation("relu"), Dense(8, 2), Activation("softmax")],
                       seed=0)
    with pytest.raises(ModelFileError, match="another architecture"):
        train(other, 3, resume_from=path)


def test_a_model_file_is_not_a_checkpoint(tmp_path):
    from mlplab import save

    path = save(network(), tmp_path / "model.npz")
    with pytest.raises(ModelFileError, match="not an mlplab checkpoint file"):
        train(network(), 3, resume_from=path)


def test_early_stopping_and_direction_counts_resume_exactly(tmp_path):
    from mlplab.callbacks import Checkpoint, DirectionChanges, EarlyStopping

    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=(40, 1))

    def run(epochs, path=None, resume_from=None):
        net = MLP([3, 8, 1], seed=2)
        stop, counts = EarlyStopping("val_loss", patience=3), DirectionChanges()
        callbacks = [stop, counts] + ([Checkpoint(path)] if path else [])
        fit(net, X, y, optimizer=sgd(0.3), epochs=epochs, batch_size=8, seed=1,
            validation_split=0.25, callbacks=callbacks, resume_from=resume_from)
        return net, stop, counts

    whole, stop, counts = run(30)
    path = tmp_path / "run.ckpt.npz"
    run(stop.best_epoch + 2, path=path)  # interrupted while EarlyStopping is waiting
    again, stop2, counts2 = run(30, resume_from=path)
    assert stop2.stopped_epoch == stop.stopped_epoch and stop2.best_epoch == stop.best_epoch
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(counts.counts, counts2.counts, strict=True):
        np.testing.assert_array_equal(a, b)


def test_resuming_with_other_stateful_callbacks_is_refused(tmp_path):
    from mlplab.callbacks import Checkpoint, EarlyStopping

    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.ones(20)
    path = tmp_path / "run.ckpt.npz"
    fit(MLP([3, 4, 1], seed=0), X, y, epochs=2, callbacks=[Checkpoint(path)])
    with pytest.raises(ModelFileError, match="EarlyStopping"):
        fit(MLP([3, 4, 1], seed=0), X, y, epochs=4, validation_split=0.2,
            callbacks=[EarlyStopping()], resume_from=path)


def test_an_aw_sgd_run_resumes_exactly(tmp_path):
    from mlplab.callbacks import Checkpoint

    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(48, 3)), rng.normal(size=(48, 1))

    def run(epochs, callbacks=(), resume_from=None):
        net = MLP([3, 6, 1], seed=3)
        fit(net, X, y, optimizer=sgd(0.05), epochs=epochs, batch_size=8, seed=2,
            sampler="aw-sgd", callbacks=list(callbacks), resume_from=resume_from)
        return net

    whole = run(6)
    path = tmp_path / "aw.ckpt.npz"
    run(3, [Checkpoint(path)])
    again = run(6, resume_from=path)
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_resuming_with_another_optimizer_is_refused(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.ones(20)
    path = tmp_path / "run.ckpt.npz"
    fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), epochs=2,
        callbacks=[Checkpoint(path)])
    with pytest.raises(ModelFileError, match=r"optimizer .*'adam'.*Resume with the same"):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.02), epochs=4, resume_from=path)
    with pytest.raises(ModelFileError, match=r"optimizer"):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer=sgd(0.01), epochs=4, resume_from=path)
    fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), epochs=4, resume_from=path)


def test_resuming_for_fewer_epochs_or_iterations_than_done_is_refused(tmp_path):
    X, y = np.random.default_rng(0).normal(size=(20, 3)), np.ones(20)
    path = tmp_path / "run.ckpt.npz"
    fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), epochs=3, batch_size=5,
        callbacks=[Checkpoint(path)])
    with pytest.raises(ValueError, match=r"'epochs' parameter of fit must be at least the 3 "):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), epochs=2, batch_size=5,
            resume_from=path)
    with pytest.raises(ValueError, match=r"'iterations' parameter .* at least the 12 "):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), iterations=8, batch_size=5,
            resume_from=path)
    done = fit(MLP([3, 4, 1], seed=0), X, y, optimizer=adam(0.01), epochs=3, batch_size=5,
               resume_from=path)  # a finished run resumed: nothing more to do, no error
    assert len(done) == 3
