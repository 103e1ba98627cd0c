"""A population trained by fit equals its members' separate runs, bit for bit.

For every optimizer in the registry (with one hyperparameter value per member),
both quasi-Newton solvers and simulated annealing (one stream per member), on a
real network: mini-batches, shuffling, the loss reductions and the updates all
give each member exactly the numbers of its own run.
"""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.optim import OPTIMIZERS, get_optimizer
from mlplab.optim.annealing import simulated_annealing

RNG = np.random.default_rng(11)
X = RNG.normal(size=(30, 3))
Y = np.stack([np.sin(X[:, 0]), X[:, 1] * X[:, 2]], axis=1)
SEEDS = [3, 4, 5]
ALPHAS = [0.01, 0.03, 0.02]
STEP_OPTIMIZERS = OPTIMIZERS.names(kind="transformation")


def assert_members_equal(population, singles):
    for k, single in enumerate(singles):
        for p, q in zip(population.params, single.params, strict=True):
            np.testing.assert_array_equal(p[k], q)


@pytest.mark.parametrize("name", STEP_OPTIMIZERS)
def test_every_step_optimizer(name):
    def train(seed, alpha):
        net = MLP([3, 6, 2], activation="tanh", seed=seed)
        fit(net, X, Y, optimizer=get_optimizer(name, alpha=alpha), epochs=4, batch_size=7,
            seed=9)
        return net

    population = train(SEEDS, np.array(ALPHAS))
    assert_members_equal(population, [train(s, a) for s, a in zip(SEEDS, ALPHAS, strict=True)])


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
def test_quasi_newton_solvers(name):
    def train(seed):
        net = MLP([3, 5, 2], activation="tanh", seed=seed)
        fit(net, X, Y, optimizer=name, iterations=40)
        return net

    assert_members_equal(train(SEEDS), [train(s) for s in SEEDS])


def test_simulated_annealing_with_one_stream_per_member():
    def train(seed, stream):
        net = MLP([3, 5, 2], activation="tanh", seed=seed)
        fit(net, X, Y, optimizer=simulated_annealing(seed=stream, step_size=0.05),
            iterations=60)
        return net

    streams = [21, 22, 23]
    population = train(SEEDS, streams)
    assert_members_equal(population, [train(s, t) for s, t in zip(SEEDS, streams, strict=True)])
