"""A run interrupted and resumed from its checkpoint equals the uninterrupted run, bit for bit.

For every gradient-step optimizer, with everything that keeps or draws state
at once: dropout (random streams), batch norm (running statistics),
shuffling, a validation split, EarlyStopping (patience and best weights) and,
separately, AW-SGD's learned sampler. The Checkpoint is listed before
EarlyStopping on purpose: it must still record each epoch after early
stopping has counted it.
"""

import numpy as np
import pytest

from mlplab import BatchNorm, Dense, Dropout, Sequential, fit
from mlplab.callbacks import Callback, Checkpoint, EarlyStopping
from mlplab.layers import Activation
from mlplab.optim import OPTIMIZERS, get_optimizer

EPOCHS = 8


def data():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 3))
    return X, np.sin(X[:, :1] * 2) + 0.3 * X[:, 1:2]


def network(seed=0):
    return Sequential([Dense(3, 12), BatchNorm(12), Activation("tanh"), Dropout(0.2),
                       Dense(12, 1)], seed=seed)


class Interrupt(Callback):
    """Raises once the run is past epoch `epoch` and its checkpoint, as a crash would."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_step_begin(self, state):
        if state.epoch > self.epoch:
            raise KeyboardInterrupt

    def on_train_end(self, state):  # the run ended at `epoch`: between its checkpoint and return
        raise KeyboardInterrupt


def run(name, sampler, callbacks=(), resume_from=None, seed=0):
    net = network(seed)
    stopping = EarlyStopping("val_loss", patience=2)
    alpha = OPTIMIZERS.fact(name, "learning_rate")
    optimizer = get_optimizer(name, **{alpha: 0.05})
    history = fit(net, *data(), optimizer=optimizer, epochs=EPOCHS, batch_size=8, seed=4,
                  validation_split=0.2, sampler=sampler, metrics=["mae"],
                  callbacks=[*callbacks, stopping], resume_from=resume_from)
    return net, history, stopping


def interrupt_and_resume(tmp_path, name, sampler, epoch):
    path = tmp_path / f"run{epoch}.ckpt.npz"
    with pytest.raises(KeyboardInterrupt):
        run(name, sampler, [Checkpoint(path), Interrupt(epoch)])
    return run(name, sampler, resume_from=path, seed=99)  # everything from the checkpoint


def assert_same_run(got, expected):
    (net, history, stopping), (whole, unbroken, stopping_whole) = got, expected
    for a, b in zip((*net.params, *net.buffers), (*whole.params, *whole.buffers), strict=True):
        np.testing.assert_array_equal(a, b)
    assert sorted(history.history) == sorted(unbroken.history)
    for key in unbroken.history:
        np.testing.assert_array_equal(history[key], unbroken[key])
    assert history.iterations == unbroken.iterations
    assert stopping.stopped_epoch == stopping_whole.stopped_epoch
    np.testing.assert_array_equal(stopping.best_epoch, stopping_whole.best_epoch)


@pytest.mark.parametrize("sampler", [None, "aw-sgd"])
@pytest.mark.parametrize("name", OPTIMIZERS.names(kind="transformation"))
def test_a_resumed_run_equals_the_uninterrupted_run(tmp_path, name, sampler):
    expected = run(name, sampler)
    stopped = expected[2].stopped_epoch is not None
    last = len(expected[1]) - 1  # the epoch the run ended at
    for epoch in range(last if stopped else last + 1):  # every epoch end, waits included
        assert_same_run(interrupt_and_resume(tmp_path, name, sampler, epoch), expected)


@pytest.mark.parametrize("sampler", [None, "aw-sgd"])
def test_a_run_interrupted_after_early_stopping_ended_it_resumes_to_the_same_end(
        tmp_path, sampler):
    expected = run("adam", sampler)
    assert expected[2].stopped_epoch is not None
    last = len(expected[1]) - 1
    assert_same_run(interrupt_and_resume(tmp_path, "adam", sampler, last), expected)
