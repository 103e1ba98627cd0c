"""Sweeps: every row equals a separate single run, whatever the grouping, engine or workers."""

import csv
import importlib
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

from mlplab import MLP, PrintError, fit
from mlplab.data import tutorial_xy
from mlplab.lab import Config, SweepResult, grid, sweep
from mlplab.lab.sweep import plan
from mlplab.lab.tutorials import ALPHAS
from mlplab.optim import adam, sgd

X, Y = tutorial_xy("part2")


def single_run(config, X=X, y=Y, every=100, optimizer=None):
    """One configuration through fit on its own: (checkpoint errors, losses, final error)."""
    net = MLP([X.shape[1], *config.hidden_sizes, 1], activation=config.activation,
              output_activation=config.output_activation, bias=config.bias, init=config.init,
              seed=config.seed)
    errors = PrintError(every, print_fn=None)
    with np.errstate(all="ignore"):
        history = fit(net, X, y, loss=config.loss, optimizer=optimizer or sgd(config.alpha),
                      iterations=config.iterations, callbacks=[errors], guard=False)
        final_error = np.mean(np.abs(net.predict(X) - y.reshape(len(y), -1)))
    losses = history["loss"][::every]
    return errors.errors, losses, final_error


def columns(result, config_index, name, final=False):
    return [row[name] for row in result.filter(config=config_index, final=final)]


@pytest.mark.parametrize("engine", ["auto", "fit"])
def test_ten_seeds_by_seven_alphas_equal_separate_single_runs(engine):
    result = sweep(seed=range(10), alpha=ALPHAS, iterations=300, every=100, engine=engine)
    assert len(result.final()) == 70 and len(result) == 70 * 4
    for i, row in enumerate(result.final()):
        config = Config.from_row(row)
        assert (config.seed, config.alpha) == (i // 7, ALPHAS[i % 7])
        errors, losses, final_error = single_run(config)
        assert columns(result, i, "iteration") == [0, 100, 200]
        assert columns(result, i, "error") == errors  # bit for bit
        np.testing.assert_allclose(columns(result, i, "loss_value"), losses, rtol=1e-12)
        assert row["error"] == final_error and row["iteration"] == 300


def plain_loop(hidden, alpha, iterations, every):
    """The tutorials' part 2 loop in plain NumPy: errors every `every`, then the final error."""
    rng = np.random.RandomState(1)
    synapse_0 = 2 * rng.random_sample((3, hidden)) - 1
    synapse_1 = 2 * rng.random_sample((hidden, 1)) - 1
    errors = []
    for j in range(iterations + 1):
        layer_1 = 1 / (1 + np.exp(-np.dot(X, synapse_0)))
        layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))
        layer_2_error = layer_2 - Y
        if j % every == 0 or j == iterations:
            errors.append(np.mean(np.abs(layer_2_error)))
        layer_2_delta = layer_2_error * (layer_2 * (1 - layer_2))
        layer_1_delta = layer_2_delta.dot(synapse_1.T) * (layer_1 * (1 - layer_1))
        synapse_1 -= alpha * layer_1.T.dot(layer_2_delta)
        synapse_0 -= alpha * X.T.dot(layer_1_delta)
    return errors


def test_hidden_sizes_by_alphas_match_the_plain_tutorial_loop():
    result = sweep(hidden=[2, 5, 16], alpha=[0.1, 1, 10, 100], iterations=400, every=100)
    for row in result.final():
        expected = plain_loop(row["hidden"], row["alpha"], 400, 100)
        actual = [*columns(result, row["config"], "error"), row["error"]]
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=0)


def test_fused_and_fit_engines_and_worker_counts_give_identical_rows():
    kwargs = dict(hidden=[3, 8, 5], alpha=[0.5, 5], seed=[1, 7], iterations=150, every=50)
    by_fit = sweep(engine="fit", **kwargs)
    assert sweep(**kwargs).rows == by_fit.rows
    pytest.importorskip("joblib")
    assert sweep(n_jobs=2, **kwargs).rows == by_fit.rows


def test_without_joblib_workers_fall_back_to_one_process(monkeypatch):
    sweep_module = importlib.import_module("mlplab.lab.sweep")  # the package exports sweep()
    kwargs = dict(hidden=[3, 5], alpha=[1, 10], iterations=30, every=10)
    expected = sweep(**kwargs).rows
    monkeypatch.setattr(sweep_module, "Parallel", None)
    assert sweep(n_jobs=2, **kwargs).rows == expected


# Fused loops for sgd, populations through fit for adam: both kinds of task.
MIXED = dict(hidden=[3, 5], alpha=[1, 10], seed=[1, 2], optimizer=["sgd", "adam"],
             iterations=60, every=20)


class RecordingExecutor(ThreadPoolExecutor):
    """A two-thread pool that keeps every task it was given."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.tasks = []

    def submit(self, fn, /, *args, **kwargs):
        self.tasks.append(args[0])
        return super().submit(fn, *args, **kwargs)


def test_an_executor_gets_populations_and_gives_the_serial_table():
    serial = sweep(keep_weights=True, **MIXED)
    with RecordingExecutor() as executor:
        result = sweep(executor=executor, keep_weights=True, **MIXED)
    assert result.rows == serial.rows
    for row in serial.final():
        for mine, theirs in zip(result.model(row).params, serial.model(row).params, strict=True):
            np.testing.assert_array_equal(mine, theirs)
    # Two adam populations (one per hidden size) and the fused sgd loop in two shares.
    assert sorted((t.engine, len(t.items)) for t in executor.tasks) == [
        ("fit", 4), ("fit", 4), ("fused", 4), ("fused", 4)]


def test_a_process_pool_gives_the_serial_table_bit_for_bit():
    serial = sweep(**MIXED)
    with ProcessPoolExecutor(max_workers=2) as executor:
        assert sweep(executor=executor, **MIXED).rows == serial.rows


def test_an_active_joblib_parallel_config_is_honoured(monkeypatch):
    joblib = pytest.importorskip("joblib")
    sweep_module = importlib.import_module("mlplab.lab.sweep")
    threads = []

    def recording_run_task(*args):
        threads.append(threading.current_thread() is threading.main_thread())
        return run_task(*args)

    run_task = sweep_module.run_task
    monkeypatch.setattr(sweep_module, "run_task", recording_run_task)
    serial = sweep(**MIXED)
    assert all(threads)  # no configuration: n_jobs=None is serial
    threads.clear()
    with joblib.parallel_config(backend="threading", n_jobs=2):
        assert sweep(**MIXED).rows == serial.rows
        assert not any(threads)  # every task on the configuration's worker threads
        threads.clear()
        sweep(n_jobs=1, **MIXED)
        assert all(threads)  # an explicit n_jobs=1 stays serial


def test_plan_makes_one_population_per_shape_and_one_fused_loop():
    items = list(enumerate(grid(hidden=[4, 16], alpha=[1, 10], seed=[1, 2])))
    populations = plan(items, 1, "fit", workers=1)
    assert [t.engine for t in populations] == ["fit", "fit"]
    assert [[c.hidden for _, c in t.items] for t in populations] == [[4] * 4, [16] * 4]
    assert [t.engine for t in plan(items, 1, "auto", workers=1)] == ["fused"]
    shares = plan(items, 1, "auto", workers=2)
    assert len(shares) == 2 and sorted(i for t in shares for i, _ in t.items) == list(range(8))
    assert [t.engine for t in plan(items, 2, "auto", workers=1)] == ["fit", "fit"]  # 2 outputs


def test_populations_are_halved_until_every_worker_has_one():
    items = list(enumerate(grid(hidden=4, activation="tanh", alpha=[1, 2, 3, 4, 5])))
    tasks = plan(items, 1, "auto", workers=2)
    assert [t.engine for t in tasks] == ["fit", "fit"]
    assert [len(t.items) for t in tasks] == [2, 3]


def regression_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    return X, X @ np.array([2.0, 1.0, 0.0]) + 0.2 * rng.normal(size=30)


def test_other_networks_and_optimizers_train_as_populations_equal_to_single_runs():
    Xr, yr = regression_data()
    result = sweep(Xr, yr, alpha=[0.001, 0.01], seed=[0, 3], hidden=[(6, 5)],
                   activation="tanh", output_activation="linear", bias=True,
                   init="glorot_uniform", loss="mse", optimizer="adam", iterations=120, every=40)
    assert result.final().rows[0]["hidden"] == (6, 5)
    for row in result.final():
        config = Config.from_row(row)
        errors, losses, final_error = single_run(config, Xr, yr, every=40,
                                                 optimizer=adam(config.alpha))
        np.testing.assert_allclose(columns(result, row["config"], "error"), errors, rtol=1e-12)
        np.testing.assert_allclose(columns(result, row["config"], "loss_value"), losses,
                                   rtol=1e-12)
        assert row["error"] == pytest.approx(final_error, rel=1e-12)


def test_a_diverging_configuration_gives_nan_rows_and_leaves_the_others_alone():
    Xr, yr = regression_data()
    kwargs = dict(hidden=4, activation="tanh", output_activation="linear", bias=True,
                  init="glorot_uniform", loss="mse", iterations=300, every=100)
    result = sweep(Xr, yr * 1e3, alpha=[0.001, 5.0], **kwargs)
    safe, wild = result.final().rows
    assert np.isfinite(safe["error"]) and not np.isfinite(wild["error"])
    assert result.best()["alpha"] == 0.001
    alone = sweep(Xr, yr * 1e3, alpha=0.001, **kwargs)
    assert alone.final().rows[0]["error"] == safe["error"]


def test_iterations_axis_runs_each_length_and_marks_the_final_rows():
    result = sweep(alpha=1, iterations=[50, 120], every=50)
    assert [(r["iteration"], r["final"]) for r in result.filter(config=1)] == [
        (0, False), (50, False), (100, False), (120, True)]
    assert [r["iteration"] for r in result.filter(config=0)] == [0, 50]
    assert result.filter(config=0).rows[0]["error"] == result.filter(config=1).rows[0]["error"]


def make_result():
    rows = []
    for i, (hidden, alpha, seed, error) in enumerate(
            [(4, 1.0, 0, 0.3), (4, 1.0, 1, 0.1), (4, 10.0, 0, float("nan")), (8, 1.0, 0, 0.2)]):
        config = Config(hidden=hidden, alpha=alpha, seed=seed, iterations=10).columns()
        rows += [{"config": i, **config, "iteration": 0, "error": 0.5, "loss_value": 0.6,
                  "final": False},
                 {"config": i, **config, "iteration": 10, "error": error,
                  "loss_value": 2 * error, "final": True}]
    return SweepResult(rows, tuple(Config().columns()))


def test_best_filter_and_pivot():
    result = make_result()
    assert result.best()["config"] == 1  # NaN (diverged) never wins
    assert result.best("loss_value")["config"] == 1
    assert result.best(maximize=True)["config"] == 0
    result.metric = "accuracy"
    assert result.best()["config"] == 0 and result.best("loss_value")["config"] == 1
    assert len(result.filter(alpha=1.0)) == 6 and len(result.filter(final=True)) == 4
    assert len(result.filter(lambda row: row["error"] < 0.25, final=True)) == 2
    hidden, alphas, table = result.pivot("hidden", "alpha")
    assert hidden == [4, 8] and alphas == [1.0, 10.0]
    np.testing.assert_allclose(table, [[0.2, np.nan], [0.2, np.nan]])  # mean over seeds 0.3, 0.1
    with pytest.raises(ValueError, match=r"'column' parameter of SweepResult\.filter"):
        result.filter(colour="red")


def test_csv_round_trip(tmp_path):
    result = sweep(hidden=[4, (3, 2)], alpha=[1, 10], iterations=20, every=10)
    path = result.to_csv(tmp_path / "sweep.csv")
    with path.open() as f:
        header, *lines = list(csv.reader(f))
    assert header == list(result.columns) and len(lines) == len(result) == 4 * 3
    assert lines[-1][1] == "3-2"
    back = SweepResult.from_csv(path)
    assert back.rows == result.rows


def test_kept_weights_rebuild_the_best_model():
    result = sweep(alpha=[1, 10], hidden=[4, 6], iterations=200, every=100, keep_weights=True)
    best = result.best()
    net = result.model(best)
    assert net.sizes == [3, best["hidden"], 1]
    assert np.mean(np.abs(net.predict(X) - Y)) == best["error"]
    with pytest.raises(ValueError, match="keep_weights=True"):
        sweep(alpha=1, iterations=5).model(best)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(alpha=[1, -1]), "'alpha' parameter of sweep"),
        (dict(hidden="4"), "'hidden' parameter of sweep"),
        (dict(hidden=[(4, 0)]), "'hidden' parameter of sweep"),
        (dict(optimizer="lbfgs"), "'optimizer' parameter of sweep"),
        (dict(activation="swish"), "'activation' parameter of sweep"),
        (dict(seed=-1), "'seed' parameter of sweep"),
        (dict(alpha=[]), "'alpha' parameter of sweep"),
        (dict(every=0), "'every' parameter of sweep"),
        (dict(engine="gpu"), "'engine' parameter of sweep"),
        (dict(n_jobs=0), "'n_jobs' parameter of sweep"),
        (dict(n_jobs=1.5), "'n_jobs' parameter of sweep"),
        (dict(executor=object()), "'executor' parameter of sweep"),
        (dict(X=np.ones((4, 3))), "'y' parameter of sweep"),
        (dict(X=np.ones((4, 3)), y=np.ones(5)), "'y' parameter of sweep"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        sweep(iterations=1, **kwargs)
