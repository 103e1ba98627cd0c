"""The error surface: its grid equals setting the weights one point at a time, for any model."""

import subprocess
import sys

import numpy as np
import pytest

from mlplab import MLP, Sequential, fit, sgd
from mlplab.callbacks import WeightPath
from mlplab.data import tutorial_xy
from mlplab.layers import Activation, BatchNorm, Dense, Dropout
from mlplab.surface import error_slice, error_surface, losses_at, weight_ref

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
Y = RNG.normal(size=(12, 2))
LABELS = np.arange(12) % 3


def regression_net(seed=0):
    return MLP([3, 5, 2], activation="tanh", output_activation="linear", seed=seed)


def classifier_net(seed=0):
    return MLP([3, 4, 3], activation="sigmoid", output_activation="softmax", seed=seed)


def tutorial_net(seed=1):
    return MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
               init="tutorial", seed=seed)


def hand_mse(out, y):
    return np.mean((out - y) ** 2)


def hand_cross_entropy(out, labels):
    return -np.mean(np.log(out[np.arange(len(labels)), labels]))


def hand_delta(out, y):
    return 0.5 * np.sum((out - y) ** 2)


def slow_losses(make_model, X, y, hand_loss, weights, points):
    """Set the weights on a fresh copy of the model point by point and run it: the plain way."""
    model = make_model()
    start = model.get_weights()
    refs = [weight_ref(model, w) for w in weights]
    losses = []
    for point in points:
        arrays = [w.copy() for w in start]
        for ref, value in zip(refs, point, strict=True):
            arrays[ref.param][ref.index] = value
        model.set_weights(arrays)
        losses.append(hand_loss(model.predict(X), y))
    return np.array(losses)


CASES = {
    "mse, weights in two layers": (regression_net, X, Y, "mse", hand_mse,
                                   [(0, "W", 1, 2), (2, "b", 1)]),
    "mse, a weight and the bias of one unit": (regression_net, X, Y, "mse", hand_mse,
                                                [(0, "W", 2, 3), (0, "b", 3)]),
    "mse, weights in a later layer only": (regression_net, X, Y, "mse", hand_mse,
                                           [(2, "W", 4, 0), (2, "W", 0, 1)]),
    "softmax cross-entropy (fused)": (classifier_net, X, LABELS, "softmax_crossentropy",
                                      hand_cross_entropy, [(0, "b", 3), (2, "W", 0, 2)]),
    "tutorial delta rule": (tutorial_net, *tutorial_xy("part2"), "delta", hand_delta,
                            [(0, "W", 2, 3), (2, "W", 1, 0)]),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_grid_equals_a_slow_loop_over_points(case):
    make_model, Xc, yc, loss, hand_loss, weights = case
    model = make_model()
    before = model.get_weights()
    axes = [np.linspace(-2.0, 1.5, 5), np.linspace(-1.0, 3.0, 4)]
    surface = error_surface(model, Xc, yc, weights, axes=axes, loss=loss)
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 2)
    target = yc if hand_loss is hand_cross_entropy else np.reshape(yc, (len(Xc), -1))
    expected = slow_losses(make_model, Xc, target, hand_loss, weights, points).reshape(5, 4)
    assert surface.losses.shape == (5, 4)
    np.testing.assert_allclose(surface.losses, expected, rtol=1e-12, atol=0)
    for p, w in zip(model.params, before, strict=True):  # the model itself never moved
        np.testing.assert_array_equal(p, w)


def test_chunks_give_the_same_losses_as_one_pass():
    model = regression_net()
    points = RNG.normal(size=(11, 2))
    whole = losses_at(model, X, Y, [(0, "W", 0, 0), (2, "W", 1, 1)], points)
    chunked = losses_at(model, X, Y, [(0, "W", 0, 0), (2, "W", 1, 1)], points, chunk_size=3)
    np.testing.assert_allclose(chunked, whole, rtol=1e-13)
    expected = slow_losses(regression_net, X, Y, hand_mse, [(0, "W", 0, 0), (2, "W", 1, 1)],
                           points)
    np.testing.assert_allclose(whole, expected, rtol=1e-12)


def test_predict_mode_with_batchnorm_and_dropout():
    def make():
        model = Sequential([Dense(3, 4), BatchNorm(4), Activation("relu"),
                            Dropout(0.5, seed=0), Dense(4, 2)], seed=3)
        fit(model, X, Y, optimizer=sgd(0.05), iterations=20, shuffle=False)  # running stats
        return model

    weights = [(1, "gamma", 2), (4, "W", 3, 1)]
    points = RNG.normal(size=(6, 2))
    expected = slow_losses(make, X, Y, hand_mse, weights, points)
    np.testing.assert_allclose(losses_at(make(), X, Y, weights, points), expected, rtol=1e-12)


def test_one_member_of_a_population_equals_the_single_model():
    population, single = regression_net(seed=[3, 7]), regression_net(seed=7)
    weights, axes = [(0, "W", 1, 1), (0, "W", 2, 4)], [np.linspace(-1, 1, 3)] * 2
    from_population = error_surface(population, X, Y, weights, axes=axes, member=1)
    from_single = error_surface(single, X, Y, weights, axes=axes)
    np.testing.assert_allclose(from_population.losses, from_single.losses, rtol=1e-12)
    np.testing.assert_array_equal(from_population.center, from_single.center)
    paths = RNG.normal(size=(5, 2, 2))  # (records, population, weights), as WeightPath's
    with_path = error_surface(population, X, Y, weights, axes=axes, member=1, path=paths)
    np.testing.assert_array_equal(with_path.path, paths[:, 1])
    expected = slow_losses(lambda: regression_net(seed=7), X, Y, hand_mse, weights, paths[:, 1])
    np.testing.assert_allclose(with_path.path_losses, expected, rtol=1e-12)
    with pytest.raises(ValueError, match="'member' parameter of error_surface"):
        error_surface(population, X, Y, weights, axes=axes)
    with pytest.raises(ValueError, match="'member'"):
        error_surface(population, X, Y, weights, axes=axes, member=2)


def test_path_from_training_is_on_the_surface_and_inside_the_default_grid():
    X2, y2 = tutorial_xy("part2")
    weights = [(0, "W", 0, 0), (2, "W", 1, 0)]
    model, recorder = tutorial_net(), WeightPath(weights, every=25)
    fit(model, X2, y2, loss="delta", optimizer=sgd(10.0), iterations=200, callbacks=[recorder])
    surface = error_surface(model, X2, y2, weights, path=recorder.values, loss="delta", n=7,
                            radius=0.5)
    np.testing.assert_array_equal(surface.center, recorder.values[-1])
    for axis, along, centre in zip(surface.axes, recorder.values.T, surface.center,
                                   strict=True):
        assert len(axis) == 7
        assert axis[0] <= min(along.min(), centre - 0.5) and axis[-1] >= max(along.max(),
                                                                            centre + 0.5)
    expected = slow_losses(lambda: _trained(X2, y2), X2, y2, hand_delta, weights,
                           recorder.values)
    np.testing.assert_allclose(surface.path_losses, expected, rtol=1e-12)


def _trained(X2, y2):
    model = tutorial_net()
    fit(model, X2, y2, loss="delta", optimizer=sgd(10.0), iterations=200)
    return model


def test_slice_of_one_weight():
    model = regression_net()
    values = np.linspace(-3, 3, 9)
    surface = error_slice(model, X, Y, (2, "W", 3, 1), values=values)
    assert surface.losses.shape == (9,) and surface.weights[0].label == "layer 2 W[3, 1]"
    expected = slow_losses(regression_net, X, Y, hand_mse, [(2, "W", 3, 1)], values[:, None])
    np.testing.assert_allclose(surface.losses, expected, rtol=1e-12)
    default = error_slice(model, X, Y, (2, "W", 3, 1), n=5, radius=2.0)
    centre = model.params[2][3, 1]
    np.testing.assert_allclose(default.axes[0], np.linspace(centre - 2, centre + 2, 5))


def test_weight_names_in_every_form_resolve_alike():
    model = regression_net()  # params: layer 0 W, layer 0 b, layer 2 W, layer 2 b
    forms = [(2, "W", 4, 1), (2, (4, 1)), (2, 4, 1), [2, "W", -1, -1]]
    refs = {weight_ref(model, f) for f in forms}
    assert len(refs) == 1
    ref = refs.pop()
    assert (ref.param, ref.index, ref.label) == (2, (4, 1), "layer 2 W[4, 1]")
    assert weight_ref(model, (2, "b", 0)).param == 3


@pytest.mark.parametrize("spec", [(0, "V", 0, 0), (1, "W", 0, 0), (9, "W", 0, 0),
                                  (0, "W", 3, 0), (0, "W", 0), (0, (0, 0, 0)), "W", (0,),
                                  (0, "W", 0.5, 0)])
def test_a_bad_weight_name_is_one_clear_error(spec):
    with pytest.raises(ValueError, match="The 'weights' parameter of error_surface must be"):
        error_surface(regression_net(), X, Y, [spec, (2, "b", 0)])


def test_bad_arguments_name_themselves():
    model = regression_net()
    weights = [(0, "W", 0, 0), (0, "W", 0, 1)]
    with pytest.raises(ValueError, match="distinct weights"):
        error_surface(model, X, Y, [(0, "W", 0, 0), (0, (0, 0))])
    with pytest.raises(ValueError, match=r"'axes'.*increasing"):
        error_surface(model, X, Y, weights, axes=[[1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"'axes'.*2 1-D arrays"):
        error_surface(model, X, Y, weights, axes=[[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"'path'.*one column per weight"):
        error_surface(model, X, Y, weights, path=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="'points' parameter of losses_at"):
        losses_at(model, X, Y, weights, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="'loss' parameter of error_surface"):
        error_surface(model, X, Y, weights, loss="nope")
    with pytest.raises(ValueError, match="'X' parameter of error_surface"):
        error_surface(model, X[:, :2], Y, weights)


def test_importing_mlplab_does_not_import_matplotlib():
    code = ("import sys, mlplab, mlplab.surface, mlplab.callbacks, mlplab.plotting, "
            "mlplab.lab; sys.exit('matplotlib' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
