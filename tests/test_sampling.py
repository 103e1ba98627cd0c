"""AW-SGD: adaptive, importance-weighted sampling of mini-batch rows."""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.losses import get_loss
from mlplab.objective import Objective
from mlplab.optim import sgd
from mlplab.sampling import AdaptiveSampling


def mixed_regression(seed=0):
    """y = 3x; the last 20 of 200 rows have inputs ten times larger (and gradients to match)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 1))
    X[180:] *= 10
    return X, 3 * X


def test_informative_rows_are_drawn_more_often_and_training_converges():
    X, y = mixed_regression()
    sampler = AdaptiveSampling(eta=0.5)
    net = MLP([1, 1], output_activation="linear", seed=0)
    history = fit(net, X, y, loss="mse", optimizer=sgd(1e-3), epochs=30, batch_size=20,
                  seed=1, sampler=sampler)
    counts = sampler.last_run.counts
    assert counts.sum() == 30 * 10 * 20
    per_row_big, per_row_small = counts[180:].mean(), counts[:180].mean()
    assert per_row_big > 3 * per_row_small
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
    np.testing.assert_allclose(net.params[0], [[3.0]], rtol=1e-2)


def test_weighted_batch_gradient_is_unbiased():
    X, y = mixed_regression()
    net = MLP([1, 1], output_activation="linear", seed=0)
    objective = Objective(net, get_loss("mse"), X, y)
    _, full = objective.value_and_grads()
    source = AdaptiveSampling(eta=1.0).batches(objective, 50, seed=0)
    source.logits = np.random.default_rng(2).normal(size=200) * 2  # a far from uniform q
    source._update_probabilities()
    total = [np.zeros_like(g) for g in full]
    draws = 4000
    for _ in range(draws // source.per_epoch):
        for xb, yb in source.epoch():
            _, _, grads = objective.gradients(xb, yb)
            for t, g in zip(total, grads, strict=True):
                t += g
    for t, g in zip(total, full, strict=True):
        np.testing.assert_allclose(t / draws, g, rtol=0.05)


def test_uniform_mixing_bounds_the_weights():
    X, y = mixed_regression()
    objective = Objective(MLP([1, 1], seed=0), get_loss("mse"), X, y)
    source = AdaptiveSampling(mix=0.25).batches(objective, 10, seed=0)
    source.logits[:] = 0
    source.logits[0] = 50.0  # nearly all softmax mass on row 0
    source._update_probabilities()
    assert source.probabilities.min() >= 0.25 / 200
    next(iter(source.epoch()))
    assert objective.sample_weights.max() <= 1 / 0.25 + 1e-12


def test_population_shares_one_sampling_distribution():
    X, y = mixed_regression()
    net = MLP([1, 1], output_activation="linear", seed=[0, 1])
    history = fit(net, X, y, loss="mse", optimizer=sgd(np.array([1e-3, 2e-3])), epochs=5,
                  batch_size=20, seed=0, sampler="aw-sgd")
    assert history["loss"].shape == (5, 2)
    assert np.all(history["loss"][-1] < history["loss"][0])


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(sampler="aw-sgd"), "'batch_size'.*mini-batches"),
        (dict(sampler="importance", batch_size=10), "'sampler'"),
    ],
)
def test_bad_sampler_arguments(kwargs, fragment):
    X, y = mixed_regression()
    with pytest.raises(ValueError, match=fragment):
        fit(MLP([1, 1], seed=0), X, y, epochs=1, **kwargs)


def test_bad_sampling_settings():
    with pytest.raises(ValueError, match="'eta'"):
        AdaptiveSampling(eta=0)
    with pytest.raises(ValueError, match="'mix'"):
        AdaptiveSampling(mix=1.5)
