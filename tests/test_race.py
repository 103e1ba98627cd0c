"""Optimizers racing: the test functions, the race's paths, the data race, the pictures."""

import json

import numpy as np
import pytest

from mlplab.lab.functions2d import FUNCTIONS, get_function
from mlplab.lab.race import (
    DEFAULT_OPTIMIZERS,
    LEARNING_RATES,
    RaceResult,
    gradient_optimizers,
    race,
    race_on_data,
)
from mlplab.optim import adam, by_member, get_optimizer, sgd
from mlplab.params import ParamList

POINTS = [(0.3, -0.7), (-1.2, 0.4), (2.0, 1.1), (0.9, 0.5)]


@pytest.mark.parametrize("name", FUNCTIONS.names())
def test_gradient_matches_central_differences(name):
    f = get_function(name)
    (x0, x1), (y0, y1) = f.window
    rng = np.random.default_rng(0)
    points = [np.array(f.start)] + [
        np.array([x0 + (x1 - x0) * u, y0 + (y1 - y0) * v]) for u, v in rng.uniform(
            0.2, 0.8, size=(4, 2))]
    h = 1e-6
    for point in points:
        numeric = np.array([(f.value(point + e) - f.value(point - e)) / (2 * h)
                            for e in np.eye(2) * h])
        analytic = f.gradient(point)
        assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-7), (name, point)


def test_value_takes_a_grid_of_points_and_known_minima_are_zero():
    for name in ("beale", "rosenbrock", "valley"):
        f = get_function(name)
        assert f.value(np.array(f.minimum)) == pytest.approx(0.0, abs=1e-12)
        assert np.allclose(f.gradient(np.array(f.minimum)), 0.0, atol=1e-12)
    xs, ys, values = get_function("saddle").grid(5)
    assert values.shape == (5, 5)
    assert values[0, 2] == pytest.approx(xs[2] ** 2 - ys[0] ** 2)
    assert get_function("saddle").minimum is None


def test_the_tutorial_surface_is_the_networks_loss_and_its_minimum_is_trained():
    f = get_function("tutorial")
    center = np.array(f.minimum)
    assert np.linalg.norm(f.gradient(center)) < 1e-3  # the trained weights: a stationary point
    assert f.value(center) < f.value(np.array(f.start))
    assert "layer 0 W[0, 0]" in f.axis_labels[0]


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov", "adagrad", "adadelta",
                                  "rmsprop", "adam", "nadam", "rprop"])
def test_each_path_is_the_optimizers_own_update_applied_by_hand(name):
    f = get_function("beale")
    rate = 0.003 if name in ("sgd", "momentum", "nesterov") else 0.02
    result = race(f, [name], steps=6, learning_rates=rate)
    optimizer = get_optimizer(name, alpha=rate)
    params = ParamList([np.array(f.start, dtype=float)])
    state = optimizer.init(params)
    expected = [params[0].copy()]
    for _ in range(6):
        updates, state = optimizer.update([f.gradient(params[0])], state, params)
        params[0] = params[0] + updates[0]
        expected.append(params[0].copy())
    assert np.array_equal(result.paths[0], np.array(expected))
    assert np.array_equal(result.values[0], f.value(np.array(expected)))


def test_sgd_and_momentum_paths_follow_their_equations():
    f = get_function("valley")
    result = race(f, ["sgd", "momentum"], steps=5, learning_rates=0.01)
    w, b = np.array(f.start), np.zeros(2)
    v = np.array(f.start)
    for t in range(1, 6):
        w = w - 0.01 * f.gradient(w)
        b = 0.9 * b + f.gradient(v)
        v = v - 0.01 * b
        assert np.allclose(result.paths[0, t], w, rtol=1e-14)
        assert np.allclose(result.paths[1, t], v, rtol=1e-14)


def test_a_diverging_path_stops_and_is_marked_and_json_has_no_nan():
    result = race("valley", ["sgd", "adam"], steps=50, learning_rates={"sgd": 0.5})
    stop = result.diverged_at[0]
    assert stop is not None and 1 < stop < 50
    assert np.isnan(result.paths[0, stop:]).all() and np.isfinite(result.paths[0, :stop]).all()
    assert result.diverged_at[1] is None
    assert f"diverged at step {stop}" in result.summary()
    data = result.to_json()
    text = json.dumps(data, allow_nan=False)  # raises on NaN or inf
    racers = json.loads(text)["racers"]
    assert len(racers[0]["path"]) == stop and racers[0]["diverged_at"] == stop
    assert len(racers[1]["path"]) == 51


def test_the_default_race_shows_each_optimizers_character():
    """Momentum overshoots the minimum, AdaGrad slows down, Adam keeps a steady step."""
    result = race()
    paths = dict(zip(result.labels, result.paths, strict=True))
    assert paths["momentum"][:, 0].max() > 0.5  # beyond the minimum at x = 0, then back
    assert abs(paths["momentum"][-1, 0]) < 0.05
    adagrad_steps = np.linalg.norm(np.diff(paths["adagrad"], axis=0), axis=1)
    assert adagrad_steps[150:].mean() < adagrad_steps[20:40].mean() / 3
    adam_steps = np.linalg.norm(np.diff(paths["adam"][20:60], axis=0), axis=1)
    assert adam_steps.std() < 0.2 * adam_steps.mean()  # about alpha per step, slope or not
    assert all(stop is None for stop in result.diverged_at)


def test_every_function_has_a_learning_rate_for_every_default_optimizer():
    assert set(LEARNING_RATES) == set(FUNCTIONS.names())
    for rates in LEARNING_RATES.values():
        assert set(DEFAULT_OPTIMIZERS) <= set(rates)
    for name in FUNCTIONS.names():  # the defaults race without a path gone to infinity, save
        result = race(name, steps=60)  # the saddle, whose escape along y is the point
        assert name == "saddle" or all(s is None for s in result.diverged_at), name


def test_ready_transformations_and_repeated_names_race_too():
    result = race("valley", [sgd(0.01), "sgd", adam(0.1)], steps=3)
    assert result.labels == ["sgd", "sgd (2)", "adam"]
    assert result.learning_rates == [0.01, 0.03, 0.1]
    assert np.array_equal(result.paths[0, 1], np.array(result.start) - 0.01 * np.array(
        get_function("valley").gradient(result.start)))


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(optimizers=["lbfgs"]), "'optimizers' parameter of race"),
    (dict(optimizers=["bogus"]), "'optimizers' parameter of race"),
    (dict(optimizers="sgd"), "'optimizers' parameter of race"),
    (dict(function="nowhere"), "'function' parameter of race"),
    (dict(start=(1.0, np.nan)), "'start' parameter of race"),
    (dict(start=(1.0, 2.0, 3.0)), "'start' parameter of race"),
    (dict(steps=0), "'steps' parameter of race"),
    (dict(learning_rates=-1.0), "'learning_rates' parameter of race"),
    (dict(learning_rates={"nope": 0.1}), "'learning_rates' parameter of race"),
])
def test_bad_arguments_name_the_parameter(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        race(**kwargs)


def test_solvers_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="full-batch solver"):
        race("valley", ["sgd", "lbfgs"])
    assert "lbfgs" not in gradient_optimizers() and "adam" in gradient_optimizers()


# -- the data race -------------------------------------------------------------------------

def test_by_member_gives_each_member_the_numbers_of_its_own_run():
    from mlplab.data import Standardizer, load
    from mlplab.model import MLP
    from mlplab.train import fit

    X, y = load("moons", n_samples=80, seed=1)
    X = Standardizer().fit(X).transform(X)
    names = ["sgd", "momentum", "adam"]
    optimizers = [get_optimizer(n, alpha=0.05) for n in names]
    population = MLP([2, 5, 2], activation="tanh", output_activation="softmax", seed=[3] * 3)
    for p in population.params:  # one start for all: every member's weights are equal
        assert all(np.array_equal(p[0], p[k]) for k in range(3))
    together = fit(population, X, y, loss="softmax_crossentropy", optimizer=by_member(
        optimizers), epochs=3, batch_size=16, seed=7, metrics=["accuracy"])
    for k, name in enumerate(names):
        alone = MLP([2, 5, 2], activation="tanh", output_activation="softmax", seed=3)
        history = fit(alone, X, y, loss="softmax_crossentropy", batch_size=16, seed=7,
                      optimizer=get_optimizer(name, alpha=0.05), epochs=3,
                      metrics=["accuracy"])
        assert np.allclose(together["loss"][:, k], history["loss"], rtol=1e-12)
        for p, q in zip(population.params, alone.params, strict=True):
            assert np.allclose(p[k], q, rtol=1e-12, atol=1e-15)


def test_by_member_needs_one_member_per_model():
    from mlplab.model import MLP

    with pytest.raises(ValueError, match="population of 2 models"):
        by_member([sgd(0.1), adam()]).init(MLP([2, 2], seed=[0, 1, 2]).params)
    with pytest.raises(ValueError, match="'members' parameter of by_member"):
        by_member([])


def test_race_on_data_trains_the_same_network_on_the_same_batches():
    result = race_on_data("moons", ["sgd", "adam", "sgd"], layers=(4,), epochs=4,
                          learning_rates={"sgd": 0.1, "adam": 0.01})
    assert result.loss.shape == result.accuracy.shape == (4, 3)
    assert result.labels == ["sgd", "adam", "sgd (2)"]
    # the same optimizer from the same start on the same batches: the same curve, exactly
    assert np.array_equal(result.loss[:, 0], result.loss[:, 2])
    assert not np.array_equal(result.loss[:, 0], result.loss[:, 1])
    assert np.all((result.accuracy >= 0) & (result.accuracy <= 1))
    assert "final accuracy" in result.summary()
    json.dumps(result.to_json(), allow_nan=False)


def test_race_on_data_marks_a_diverging_optimizer():
    result = race_on_data("moons", ["sgd", "adam"], layers=(8,), epochs=5, activation="relu",
                          learning_rates={"sgd": 1e10})
    assert result.diverged_at[0] is not None and result.diverged_at[1] is None
    assert "diverged" in result.summary()
    curves = json.loads(json.dumps(result.to_json(), allow_nan=False))["curves"]
    assert len(curves[0]["loss"]) == result.diverged_at[0] - 1


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(data=(np.zeros((4, 2)), np.array([0.5, 1, 0, 1]))), "'data' parameter"),
    (dict(optimizers=["lbfgs"]), "'optimizers' parameter of race_on_data"),
    (dict(epochs=0), "'epochs' parameter of race_on_data"),
])
def test_race_on_data_names_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        race_on_data(**kwargs)


# -- pictures ------------------------------------------------------------------------------

def test_plot_race_and_the_gif(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    from mlplab.lab.race_plot import animate_race, plot_race, plot_race_on_data

    result = race("saddle", ["sgd", "momentum", "adam"], steps=150)
    assert isinstance(result, RaceResult) and result.diverged_at[1] is not None
    fig = plot_race(result)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any("diverged at step" in label for label in labels)
    out = animate_race(race("valley", ["sgd", "adam"], steps=8), tmp_path / "race.gif",
                       frames=5)
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.n_frames >= 4
        first = np.asarray(gif.convert("RGB"))
        gif.seek(gif.n_frames - 1)
        assert not np.array_equal(first, np.asarray(gif.convert("RGB")))  # the paths grow
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically, nothing left behind
    data = race_on_data("moons", ["sgd", "adam"], layers=(4,), epochs=2)
    assert len(plot_race_on_data(data).axes) == 2
    with pytest.raises(ValueError, match="'result' parameter of plot_race"):
        plot_race(data)
