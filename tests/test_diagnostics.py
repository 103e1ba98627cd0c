"""gradient_check itself: it must catch a wrong backward and leave the model as it was."""

import numpy as np
import pytest

from mlplab import MLP, gradient_check
from mlplab.layers import Dense

X = np.random.default_rng(0).normal(size=(5, 3))
Y = np.random.default_rng(1).normal(size=(5, 2))


def test_reports_one_check_per_parameter_in_order():
    model = MLP([3, 4, 2], activation="tanh", seed=0)
    checks = gradient_check(model, X, Y)
    assert [(c.layer, c.name) for c in checks] == [(0, "W"), (0, "b"), (2, "W"), (2, "b")]
    assert all(c.relative_error < 1e-7 for c in checks)


def test_catches_a_wrong_backward(monkeypatch):
    original = Dense.backward

    def off_by_two(self, grad, need_input_grad=True):
        dx = original(self, grad, need_input_grad)
        self.grads = [2 * g for g in self.grads]
        return dx

    monkeypatch.setattr(Dense, "backward", off_by_two)
    checks = gradient_check(MLP([3, 4, 2], activation="tanh", seed=0), X, Y)
    assert all(c.relative_error > 0.3 for c in checks)  # |2a - a| / (|2a| + |a|) = 1/3


def test_restores_the_weights():
    model = MLP([3, 4, 2], activation="tanh", seed=0)
    before = model.get_weights()
    gradient_check(model, X, Y, loss="delta")
    for p, w in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, w)


def test_population_is_checked_per_model():
    checks = gradient_check(MLP([3, 4, 2], activation="tanh", seed=[0, 1, 2]), X, Y)
    assert all(c.relative_error < 1e-7 for c in checks)


def test_needs_a_float64_model():
    with pytest.raises(ValueError, match="float64"):
        gradient_check(MLP([3, 4, 2], dtype="float32", seed=0), X, Y)


def test_absolute_error_reads_a_gradient_that_is_exactly_zero():
    """A bias right before BatchNorm is cancelled by the mean: its true gradient is 0."""
    from mlplab import BatchNorm, Dense, Sequential

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 1))
    net = Sequential([Dense(3, 4), BatchNorm(4), Dense(4, 1)], seed=0)
    checks = gradient_check(net, X, y)
    bias = checks[1]
    assert (bias.layer, bias.name) == (0, "b")
    assert bias.absolute_error < 1e-8
    assert all(c.relative_error < 1e-6 for c in checks if c is not bias)
