"""WeightPath and TrainingDynamics: what they record equals what training did, computed by hand."""

import numpy as np
import pytest

from mlplab import MLP, fit, sgd
from mlplab.callbacks import Callback, TrainingDynamics, WeightPath

RNG = np.random.default_rng(4)
X = RNG.normal(size=(10, 2))
Y = X @ np.array([[1.5], [-0.5]]) + 0.3 + 0.1 * RNG.normal(size=(10, 1))


def net(seed=0, sizes=(2, 3, 1)):
    return MLP(list(sizes), activation="tanh", output_activation="linear", seed=seed)


class StepCopies(Callback):
    """Copies of each step's gradients, updates and the weights they are about to change."""

    def on_train_begin(self, state):
        self.grads, self.updates, self.params = [], [], []

    def on_before_update(self, state):
        self.grads.append([g.copy() for g in state.grads])
        self.updates.append([u.copy() for u in state.updates])
        self.params.append([p.copy() for p in state.params])


def test_path_holds_the_weights_after_each_recorded_step():
    weights = [(0, "W", 1, 2), (2, "b", 0)]
    recorder = WeightPath(weights, every=4)
    model = net()
    start = model.get_weights()
    fit(model, X, Y, optimizer=sgd(0.1), iterations=10, callbacks=[recorder])
    assert recorder.iterations == [0, 4, 8, 10]
    assert recorder.values.shape == (4, 2)
    np.testing.assert_array_equal(recorder.values[0], [start[0][1, 2], start[3][0]])
    for row, steps in zip(recorder.values, recorder.iterations, strict=True):
        if steps == 0:
            continue
        again = net()
        fit(again, X, Y, optimizer=sgd(0.1), iterations=steps)
        np.testing.assert_array_equal(row, [again.params[0][1, 2], again.params[3][0]])
    assert [r.label for r in recorder.refs] == ["layer 0 W[1, 2]", "layer 2 b[0]"]


def test_path_of_a_population_equals_separate_runs():
    weights = [(0, "W", 0, 0), (2, "W", 2, 0)]
    alphas = np.array([0.05, 0.2])
    recorder = WeightPath(weights, every=3)
    fit(net(seed=[5, 6]), X, Y, optimizer=sgd(alphas), iterations=9, callbacks=[recorder])
    assert recorder.values.shape == (4, 2, 2)
    for k, (seed, alpha) in enumerate(zip([5, 6], alphas, strict=True)):
        single = WeightPath(weights, every=3)
        fit(net(seed=seed), X, Y, optimizer=sgd(alpha), iterations=9, callbacks=[single])
        np.testing.assert_allclose(recorder.values[:, k], single.values, rtol=1e-12)


def test_first_step_norms_by_hand_for_a_linear_model():
    """One linear layer on MSE: dW = 2/n X^T (XW + b - y), db = 2/n sum(XW + b - y)."""
    model = MLP([2, 1], output_activation="linear", seed=3)
    W = model.params[0].copy()
    recorder = TrainingDynamics()
    fit(model, X, Y, loss="mse", optimizer=sgd(0.1), iterations=1, callbacks=[recorder])
    residual = X @ W - Y  # b starts at zero
    grad_W, grad_b = 2 / len(X) * X.T @ residual, 2 / len(X) * residual.sum(axis=0)
    assert recorder.names == ["layer 0 W", "layer 0 b"]
    np.testing.assert_allclose(recorder.grad_norms["layer 0 W"], [np.sqrt(np.sum(grad_W**2))],
                               rtol=1e-12)
    np.testing.assert_allclose(recorder.grad_norms["layer 0 b"], [abs(grad_b[0])], rtol=1e-12)
    np.testing.assert_allclose(recorder.update_ratios["layer 0 W"],
                               [0.1 * np.sqrt(np.sum(grad_W**2) / np.sum(W**2))], rtol=1e-12)
    assert np.isnan(recorder.update_ratios["layer 0 b"][0])  # a zero bias has no scale


def test_every_nth_step_norms_equal_numpy_norms_of_the_step():
    recorder, copies = TrainingDynamics(every=3), StepCopies()
    fit(net(), X, Y, optimizer=sgd(0.1), iterations=10, callbacks=[copies, recorder])
    assert recorder.iterations == [0, 3, 6, 9]
    for i, name in enumerate(recorder.names):
        grads = [np.linalg.norm(step[i]) for step in copies.grads[::3]]
        np.testing.assert_allclose(recorder.grad_norms[name], grads, rtol=1e-12)
    for i, name in [(0, "layer 0 W"), (2, "layer 2 W")]:  # the biases start at zero
        ratios = [np.linalg.norm(u[i]) / np.linalg.norm(p[i])
                  for u, p in zip(copies.updates[::3], copies.params[::3], strict=True)]
        np.testing.assert_allclose(recorder.update_ratios[name], ratios, rtol=1e-12)


def test_population_norms_are_per_model():
    alphas = np.array([0.01, 0.3, 0.1])
    recorder = TrainingDynamics(every=2)
    fit(net(seed=[1, 2, 3]), X, Y, optimizer=sgd(alphas), iterations=6, callbacks=[recorder])
    for k, (seed, alpha) in enumerate(zip([1, 2, 3], alphas, strict=True)):
        single = TrainingDynamics(every=2)
        fit(net(seed=seed), X, Y, optimizer=sgd(alpha), iterations=6, callbacks=[single])
        for name in single.names:
            assert recorder.grad_norms[name].shape == (3, 3)
            np.testing.assert_allclose(recorder.grad_norms[name][:, k], single.grad_norms[name],
                                       rtol=1e-12)
            np.testing.assert_allclose(recorder.update_ratios[name][:, k],
                                       single.update_ratios[name], rtol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="'every' parameter of TrainingDynamics"):
        TrainingDynamics(every=0)
    with pytest.raises(ValueError, match="'every' parameter of WeightPath"):
        WeightPath([(0, "W", 0, 0)], every=0)
    with pytest.raises(ValueError, match="'weights' parameter of WeightPath"):
        fit(net(), X, Y, iterations=1, callbacks=[WeightPath([(0, "W", 5, 0)])])
