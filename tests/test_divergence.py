"""Overflow and divergence: never a silent NaN, and the last finite model is what is kept.

predict raises on outputs that overflowed; the divergence guard puts back the
weights and running statistics of the last finite step; full-batch solvers
stop on a loss that is not finite just as gradient steps do.
"""

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, DivergenceError, Sequential, fit, sgd
from mlplab.callbacks import Callback, DivergenceGuard, LearningRateScheduler
from mlplab.layers import Activation

# ---------------------------------------------------------------------------- predict


def test_predict_refuses_outputs_that_overflowed():
    net = MLP([3, 4, 1], seed=0)
    with pytest.raises(ValueError, match=r"The 'X' parameter of predict must be data whose "
                                         r"outputs are finite in float64 .*scale the inputs.*"
                                         r"Got data for which 2 of 2 outputs overflowed to NaN "
                                         r"or inf instead"):
        net.predict(np.full((2, 3), 1.7e308))
    assert np.all(np.isfinite(net.predict(np.full((2, 3), 1e300))))  # large but finite: fine


def test_predict_names_the_members_whose_outputs_overflowed():
    net = MLP([3, 4, 2], seed=[0, 1, 2])
    net.params[2][1, 0, 0] = np.inf  # member 1's output weights are no longer finite
    with pytest.raises(ValueError, match=r"outputs of models \[1\] of the population "
                                         r"overflowed"):
        net.predict(np.ones((5, 3)))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # array-api-strict's own NumPy warns
def test_predict_refuses_overflowed_outputs_on_array_api_strict():
    pytest.importorskip("array_api_strict")
    net = MLP([3, 4, 1], seed=0, backend="array_api_strict")
    with pytest.raises(ValueError, match=r"'X' parameter of predict.*overflowed"):
        net.predict(np.full((2, 3), 1.7e308))


def test_predict_of_a_sigmoid_network_stays_quiet_when_the_exp_overflows():
    net = MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    with np.errstate(over="raise", invalid="raise"):  # no warning escapes either
        out = net.predict(np.full((2, 3), -1e5))
    assert np.all((out >= 0) & (out <= 1))


# ---------------------------------------------------------------------------- the guard


def batch_norm_net():
    return Sequential([Dense(3, 4), BatchNorm(4), Dense(4, 1)], seed=0)


def diverge(net, **kwargs):
    """The notebooks' lesson on a batch-norm network: unscaled targets, too large a step."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 3)) * 10
    return fit(net, X, X @ np.array([2.0, 1.0, 0.0]) + 50, optimizer=sgd(0.3), **kwargs)


def assert_same_model(a, b):
    for x, y in zip((*a.params, *a.buffers), (*b.params, *b.buffers), strict=True):
        np.testing.assert_array_equal(x, y)


def test_the_guard_puts_back_running_statistics_that_the_failing_step_spoilt():
    net = batch_norm_net()
    with pytest.raises(DivergenceError, match="the weights from before that step were kept"
                       ) as caught:
        diverge(net, iterations=100)
    # The failing step's forward pass had moved the statistics to values still finite, so
    # only a copy from before it can put them back.
    assert all(np.all(np.isfinite(b)) for b in net.buffers)
    stopped = batch_norm_net()
    diverge(stopped, iterations=caught.value.iteration, guard=False)
    assert_same_model(net, stopped)
    assert caught.value.weights_iteration == caught.value.iteration


class Jump(LearningRateScheduler):
    """Step factor 1 until `epoch`, then 1e300: an update that overflows, its loss still finite."""

    def __init__(self, epoch):
        super().__init__(lambda e: 1.0 if e < epoch else 1e300)


def overflow_run(net, iterations, callbacks, guard=True):
    rng = np.random.default_rng(0)
    return fit(net, rng.normal(size=(20, 3)), np.full(20, 1e12), optimizer=sgd(0.01),
               iterations=iterations, callbacks=callbacks, guard=guard)


def test_weights_that_overflow_a_step_before_the_loss_are_put_back_to_the_last_finite_step():
    net = MLP([3, 4, 1], activation="tanh", seed=0)
    with pytest.raises(DivergenceError, match=r"loss became inf at iteration 8 .*the update of "
                       r"iteration 7 had already overflowed the weights, so the weights from "
                       r"before it \(iteration 7\) were restored") as caught:
        overflow_run(net, 50, [Jump(7)])
    assert caught.value.iteration == 8 and caught.value.weights_iteration == 7
    stopped = MLP([3, 4, 1], activation="tanh", seed=0)
    overflow_run(stopped, 7, [Jump(7)])
    assert_same_model(net, stopped)


def test_weights_and_running_statistics_overflowing_first_go_back_together():
    net = Sequential([Dense(3, 4), BatchNorm(4), Activation("tanh"), Dense(4, 1)], seed=0)
    with pytest.raises(DivergenceError, match=r"weights from before it \(iteration 7\)"):
        overflow_run(net, 50, [Jump(7)])
    stopped = Sequential([Dense(3, 4), BatchNorm(4), Activation("tanh"), Dense(4, 1)], seed=0)
    overflow_run(stopped, 7, [Jump(7)])
    assert_same_model(net, stopped)


class Saturate(Callback):
    """After iteration `at`, one first-layer weight becomes inf: tanh hides it from the loss."""

    def __init__(self, at):
        self.at = at

    def on_step_end(self, state):
        if state.iteration == self.at:
            state.params[0][0, 0] = np.inf


def test_weights_hidden_from_the_loss_for_longer_go_back_to_the_latest_snapshot():
    net = MLP([3, 4, 1], activation="tanh", seed=0)
    callbacks = [Saturate(5), Jump(8), DivergenceGuard(snapshot_every=4)]
    with pytest.raises(DivergenceError, match=r"at iteration 9 .*an earlier update had already "
                       r"overflowed, so the weights from iteration 4 were restored") as caught:
        overflow_run(net, 50, callbacks)
    assert caught.value.weights_iteration == 4
    stopped = MLP([3, 4, 1], activation="tanh", seed=0)
    overflow_run(stopped, 4, callbacks[:2])
    assert_same_model(net, stopped)


def test_a_snapshot_every_step_keeps_the_last_finite_step_however_long_it_was_hidden():
    net = MLP([3, 4, 1], activation="tanh", seed=0)
    with pytest.raises(DivergenceError, match=r"weights from iteration 5 were restored"):
        overflow_run(net, 50, [Saturate(5), Jump(8), DivergenceGuard(snapshot_every=1)])
    stopped = MLP([3, 4, 1], activation="tanh", seed=0)
    overflow_run(stopped, 5, [Jump(8)])
    assert_same_model(net, stopped)
