"""The fused loop trains tutorial networks of mixed hidden sizes exactly as fit does."""

import numpy as np
import pytest

from mlplab import MLP, fit, sgd
from mlplab.data import tutorial_xy
from mlplab.lab.fused import FusedNetworks, train_fused

X, Y = tutorial_xy("part2")


def tutorial_net(hidden, seed):
    return MLP([3, hidden, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
               init="tutorial", seed=seed)


def test_mixed_sizes_seeds_and_alphas_equal_fit_bit_for_bit():
    # Sizes 1-3 and 5 hit BLAS's special cases for short rows; the order is shuffled on purpose.
    configs = [(3, 1, 10.0), (8, 2, 1.0), (1, 1, 0.5), (3, 4, 100.0), (5, 1, 1000.0),
               (2, 3, 3.0), (16, 1, 1.0), (8, 5, 0.1), (64, 2, 10.0), (3, 1, 0.01)]
    weights = [tutorial_net(h, seed).get_weights() for h, seed, _ in configs]
    run = train_fused(weights, [alpha for *_, alpha in configs], X, Y, iterations=400,
                      every=150)
    assert run.iterations == [0, 150, 300]
    for k, (hidden, seed, alpha) in enumerate(configs):
        net = tutorial_net(hidden, [seed])  # a population of one: fit's population path
        fit(net, X, Y, loss="delta", optimizer=sgd(np.array([alpha])), iterations=400)
        for fused, trained in zip(run.weights[k], net.params, strict=True):
            np.testing.assert_array_equal(fused, trained[0])
        np.testing.assert_array_equal(run.final_outputs[k], net.predict(X)[0])


def plain_loop(W0, W1, alpha, iterations):
    """The tutorials' loop with given starting weights; returns the outputs at every step."""
    outputs = []
    for _ in range(iterations):
        l1 = 1 / (1 + np.exp(-np.dot(X, W0)))
        l2 = 1 / (1 + np.exp(-np.dot(l1, W1)))
        outputs.append(l2)
        d2 = (l2 - Y) * (l2 * (1 - l2))
        d1 = d2.dot(W1.T) * (l1 * (1 - l1))
        W1 = W1 - alpha * l1.T.dot(d2)
        W0 = W0 - alpha * X.T.dot(d1)
    return outputs, [W0, W1]


def test_recorded_outputs_are_the_plain_loops_before_each_update():
    rng = np.random.default_rng(0)
    weights = [[rng.uniform(-1, 1, (3, h)), rng.uniform(-1, 1, (h, 1))] for h in (4, 7, 4)]
    alphas = [0.5, 2.0, 8.0]
    run = train_fused(weights, alphas, X, Y, iterations=60, every=20)
    for k, (w, alpha) in enumerate(zip(weights, alphas, strict=True)):
        outputs, final = plain_loop(*w, alpha, 60)
        for recorded, iteration in zip(run.outputs, run.iterations, strict=True):
            np.testing.assert_allclose(recorded[k], outputs[iteration], rtol=1e-12)
        for fused, expected in zip(run.weights[k], final, strict=True):
            np.testing.assert_allclose(fused, expected, rtol=1e-12)


def test_given_weights_are_copied_not_trained_in_place():
    weights = [tutorial_net(4, 1).get_weights()]
    before = [w.copy() for w in weights[0]]
    train_fused(weights, 1.0, X, Y, iterations=5)
    for w, b in zip(weights[0], before, strict=True):
        np.testing.assert_array_equal(w, b)


@pytest.mark.parametrize(
    ("weights", "y", "fragment"),
    [
        ([], Y, "'weights' parameter of FusedNetworks"),
        ([[np.ones((2, 4)), np.ones((4, 1))]], Y, r"'weights\[0\]' parameter"),
        ([[np.ones((3, 4)), np.ones((4, 2))]], Y, r"'weights\[0\]' parameter"),
        ([[np.ones((3, 4))]], Y, r"'weights\[0\]' parameter"),
        ([[np.ones((3, 4)), np.ones((4, 1))]], np.ones((4, 2)), "'y' parameter"),
    ],
)
def test_bad_networks_are_named(weights, y, fragment):
    with pytest.raises(ValueError, match=fragment):
        FusedNetworks(weights, 1.0, X, y)


def test_bad_alphas_and_iterations_are_named():
    weights = [tutorial_net(4, 1).get_weights()]
    with pytest.raises(ValueError, match="'alphas' parameter of FusedNetworks"):
        FusedNetworks(weights, -1.0, X, Y)
    with pytest.raises(ValueError, match=r"one per network \(1\)"):
        FusedNetworks(weights, [1.0, 2.0], X, Y)
    with pytest.raises(ValueError, match="'iterations' parameter of train_fused"):
        train_fused(weights, 1.0, X, Y, iterations=0)
