"""Restarts: N seeds of one configuration, the best of them, and the spread over seeds."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mlplab import MLP, PrintError, fit, sgd
from mlplab.data import tutorial_xy
from mlplab.lab import restarts

X, Y = tutorial_xy("part2")


def separate_run(seed, hidden=4, alpha=10.0, iterations=300, every=100):
    """One seed on its own through fit: (checkpoint errors, final error, trained net)."""
    net = MLP([3, hidden, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
              init="tutorial", seed=seed)
    errors = PrintError(every, print_fn=None)
    fit(net, X, Y, loss="delta", optimizer=sgd(alpha), iterations=iterations, callbacks=[errors])
    return errors.errors, np.mean(np.abs(net.predict(X) - Y)), net


@pytest.mark.parametrize("engine", ["auto", "fit"])
def test_best_of_n_mean_and_spread_match_separate_runs(engine):
    result = restarts(6, alpha=10.0, iterations=300, every=100, engine=engine)
    runs = [separate_run(seed) for seed in range(6)]
    finals = np.array([final for _, final, _ in runs])
    assert result.seeds == list(range(6)) and result.checkpoints == [0, 100, 200]
    np.testing.assert_array_equal(result.final_errors, finals)
    np.testing.assert_array_equal(result.errors, np.array([e for e, _, _ in runs]).T)
    assert result.best_seed == int(np.argmin(finals)) and result.best_error == finals.min()
    assert result.mean == pytest.approx(finals.mean(), rel=1e-12)
    assert result.std == pytest.approx(np.std(finals, ddof=1), rel=1e-12)
    for best, alone in zip(result.best_model.params, runs[result.best_seed][2].params,
                           strict=True):
        np.testing.assert_array_equal(best, alone)


@pytest.mark.parametrize("engine", ["auto", "fit"])
def test_an_executor_or_a_joblib_configuration_gives_the_serial_result(engine):
    serial = restarts(4, alpha=10.0, iterations=60, every=20, engine=engine)
    with ThreadPoolExecutor(max_workers=2) as executor:
        pooled = restarts(4, alpha=10.0, iterations=60, every=20, engine=engine,
                          executor=executor)
    joblib = pytest.importorskip("joblib")
    with joblib.parallel_config(backend="threading", n_jobs=2):
        configured = restarts(4, alpha=10.0, iterations=60, every=20, engine=engine)
    for result in (pooled, configured):
        assert result.table.rows == serial.table.rows and result.best_seed == serial.best_seed
        for mine, theirs in zip(result.best_model.params, serial.best_model.params,
                                strict=True):
            np.testing.assert_array_equal(mine, theirs)


def test_listed_seeds_and_a_two_layer_configuration():
    result = restarts([5, 2, 9], hidden=(3, 2), alpha=1.0, iterations=40, every=20)
    assert result.seeds == [5, 2, 9] and result.best_model.sizes == [3, 3, 2, 1]
    assert result.errors.shape == (2, 3) and result.diverged == 0
    assert f"best of 3: {result.best_error:.6g} (seed {result.best_seed})" in result.summary()
    assert len(result.table.final()) == 3


def test_all_restarts_diverging_is_an_error():
    rng = np.random.default_rng(0)
    Xr = rng.normal(size=(20, 2))
    yr = 1e3 * (Xr @ np.array([2.0, -1.0]))
    kwargs = dict(X=Xr, y=yr, hidden=3, activation="tanh", output_activation="linear",
                  bias=True, init="glorot_uniform", loss="mse", iterations=200, every=100)
    with pytest.raises(ValueError, match="Every one of the 4 restarts diverged"):
        restarts(4, alpha=5.0, **kwargs)
    assert restarts(3, alpha=1e-4, **kwargs).diverged == 0


def test_diverged_restarts_are_counted_and_left_out_of_the_spread():
    result = restarts(3, alpha=1.0, iterations=10, every=10)
    result.final_errors = np.array([0.1, np.nan, 0.3])
    assert result.diverged == 1
    assert result.mean == pytest.approx(0.2) and result.std == pytest.approx(np.sqrt(0.02))
    assert result.summary().endswith("; 1 diverged")


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        ((0,), {}, "'seeds' parameter of restarts"),
        (([1, 1],), {}, "'seeds' parameter of restarts"),
        (([],), {}, "'seeds' parameter of restarts"),
        ((3,), dict(alpha=[1.0, 2.0]), "'alpha' parameter of restarts"),
        ((3,), dict(hidden=[4, 8]), "'hidden' parameter of restarts"),
        ((3,), dict(alpha=-1.0), "'alpha' parameter of sweep"),
        ((3,), dict(seed=4), "'seed' parameter of restarts"),
    ],
)
def test_bad_arguments_name_the_parameter(args, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        restarts(*args, iterations=1, **kwargs)
