"""fit(): the loop, batching, History, callbacks, the divergence guard and populations."""

import numpy as np
import pytest

import mlplab
from mlplab import MLP, DirectionChanges, DivergenceError, PrintError, fit, sgd
from mlplab.callbacks import Callback
from mlplab.data import tutorial_xy


def tutorial_net(hidden=4, seed=1):
    return MLP([3, hidden, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
               init="tutorial", seed=seed)


def plain_numpy_loop(X, y, W0, W1, alpha, iterations):
    """The tutorials' loop, written out independently of mlplab."""
    W0, W1, losses = W0.copy(), W1.copy(), []
    for _ in range(iterations):
        l1 = 1 / (1 + np.exp(-(X @ W0)))
        l2 = 1 / (1 + np.exp(-(l1 @ W1)))
        error = l2 - y
        losses.append(0.5 * np.sum(error**2))
        d2 = error * (l2 * (1 - l2))
        d1 = (d2 @ W1.T) * (l1 * (1 - l1))
        W1 -= alpha * (l1.T @ d2)
        W0 -= alpha * (X.T @ d1)
    return W0, W1, np.array(losses)


def test_fit_matches_plain_numpy_loop_bit_for_bit():
    X, y = tutorial_xy("part2")
    net = tutorial_net()
    W0, W1 = net.get_weights()
    history = fit(net, X, y, loss="delta", optimizer=sgd(10.0), iterations=500)
    ref_W0, ref_W1, ref_losses = plain_numpy_loop(X, y, W0, W1, 10.0, 500)
    np.testing.assert_array_equal(net.params[0], ref_W0)
    np.testing.assert_array_equal(net.params[1], ref_W1)
    np.testing.assert_allclose(history["loss"], ref_losses, rtol=1e-12)
    assert len(history) == 500 and history.iterations == 500


def test_population_of_five_equals_five_separate_runs():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    seeds, alphas = [3, 1, 4, 1, 5], np.array([0.001, 0.01, 0.03, 0.1, 0.05])
    kwargs = dict(activation="tanh", output_activation="linear", bias=True)
    population = MLP([3, 6, 2], seed=seeds, **kwargs)
    history = fit(population, X, y, loss="mse", optimizer=sgd(alphas), iterations=200)
    assert history["loss"].shape == (200, 5)
    for k, (seed, alpha) in enumerate(zip(seeds, alphas, strict=True)):
        single = MLP([3, 6, 2], seed=seed, **kwargs)
        single_history = fit(single, X, y, loss="mse", optimizer=sgd(alpha), iterations=200)
        np.testing.assert_allclose(history["loss"][:, k], single_history["loss"], rtol=1e-12)
        for p_pop, p_single in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(p_pop[k], p_single, rtol=1e-12, atol=1e-15)


def test_epochs_and_minibatches_cover_every_sample_once_per_epoch():
    seen = []

    class Rows(Callback):
        def on_step_end(self, state):
            seen.append(state.y_batch[:, 0].copy())

    X = np.arange(10.0)[:, None]
    y = np.arange(10.0)
    net = MLP([1, 1], seed=0)
    history = fit(net, X, y, epochs=3, batch_size=4, seed=7, callbacks=[Rows()],
                  optimizer=sgd(1e-3))
    assert len(history) == 3 and history.iterations == 9
    for epoch in range(3):
        rows = np.concatenate(seen[3 * epoch: 3 * epoch + 3])
        assert sorted(rows) == list(range(10))
    assert [len(b) for b in seen[:3]] == [4, 4, 2]
    assert not np.array_equal(np.concatenate(seen[0:3]), np.concatenate(seen[3:6]))


def test_shuffle_is_seeded_and_off_means_in_order():
    X, y = np.arange(12.0)[:, None], np.arange(12.0)

    def first_batches(**kwargs):
        rows = []

        class Rows(Callback):
            def on_step_end(self, state):
                rows.append(state.y_batch[:, 0].tolist())

        fit(MLP([1, 1], seed=0), X, y, epochs=1, batch_size=5, callbacks=[Rows()], **kwargs)
        return rows

    assert first_batches(seed=3) == first_batches(seed=3)
    assert first_batches(seed=3) != first_batches(seed=4)
    assert first_batches(shuffle=False) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]


def test_iterations_can_stop_inside_an_epoch():
    X, y = np.arange(10.0)[:, None], np.arange(10.0)
    history = fit(MLP([1, 1], seed=0), X, y, iterations=7, batch_size=3, optimizer=sgd(1e-3))
    assert history.iterations == 7 and len(history) == 2  # 4 steps, then 3 of the next 4


def test_epoch_loss_of_minibatches_is_weighted_mean_of_batch_losses():
    X, y = np.arange(10.0)[:, None] / 10, np.arange(10.0) / 10
    losses = []

    class Losses(Callback):
        def on_step_end(self, state):
            losses.append(float(state.loss))

    history = fit(MLP([1, 1], seed=0), X, y, loss="mse", epochs=1, batch_size=4,
                  shuffle=False, optimizer=sgd(0.1), callbacks=[Losses()])
    assert history["loss"][0] == pytest.approx((4 * losses[0] + 4 * losses[1] + 2 * losses[2])
                                               / 10)
    history = fit(MLP([1, 1], seed=0), X, y, loss="delta", epochs=1, batch_size=4,
                  shuffle=False, optimizer=sgd(0.1))
    assert len(history["loss"]) == 1


def test_metrics_are_recorded_per_epoch():
    X, y = tutorial_xy("part1")
    history = fit(tutorial_net(), X, y, loss="delta", optimizer=sgd(1.0), epochs=50,
                  metrics=["mae", "accuracy"])
    assert history["mae"].shape == (50,) and history["accuracy"][-1] == 1.0
    assert history["mae"][-1] < history["mae"][0]


def test_print_error_uses_the_tutorial_format(capsys):
    X, y = tutorial_xy("part2")
    fit(tutorial_net(), X, y, loss="delta", optimizer=sgd(1.0), iterations=25,
        callbacks=[PrintError(10)])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Error after 0 iterations", "Error after 10 iterations", "Error after 20 iterations"]
    first = tutorial_net().predict(X)
    assert float(lines[0].split(":")[1]) == np.mean(np.abs(first - y))


def test_direction_changes_count_sign_flips_of_the_update():
    X, y = tutorial_xy("part2")
    net, counter, updates = tutorial_net(), DirectionChanges(), []

    class Updates(Callback):
        def on_step_end(self, state):
            updates.append([u.copy() for u in state.updates])

    fit(net, X, y, loss="delta", optimizer=sgd(10.0), iterations=300,
        callbacks=[counter, Updates()])
    for i, count in enumerate(counter.counts):
        down = np.array([u[i] < 0 for u in updates])
        np.testing.assert_array_equal(count, np.sum(down[1:] != down[:-1], axis=0))
    assert sum(int(c.sum()) for c in counter.counts) > 0


def test_stop_training_flag_ends_the_run():
    class StopAt(Callback):
        def on_step_end(self, state):
            state.stop_training = state.iteration == 4

    X, y = tutorial_xy("part1")
    history = fit(tutorial_net(), X, y, iterations=100, callbacks=[StopAt()])
    assert history.iterations == 5


def exploding_regression():
    """The notebooks' lesson: a linear output, learning rate 1, unscaled targets."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)) * 10
    y = X @ np.array([2.0, 1.0, 0.0]) + 50
    return X, y


def test_divergence_guard_stops_and_keeps_last_finite_weights():
    X, y = exploding_regression()
    net = MLP([3, 1], output_activation="linear", seed=0)
    with pytest.raises(DivergenceError) as caught:
        fit(net, X, y, loss="mse", optimizer=sgd(1.0), iterations=1000)
    error = caught.value
    message = str(error)
    assert f"iteration {error.iteration}" in message and "smaller alpha" in message
    assert all(np.all(np.isfinite(p)) for p in net.params)
    # The weights are those after the last finite step: a run that stops just before it.
    again = MLP([3, 1], output_activation="linear", seed=0)
    fit(again, X, y, loss="mse", optimizer=sgd(1.0), iterations=error.iteration, guard=False)
    for kept, expected in zip(net.params, again.params, strict=True):
        np.testing.assert_array_equal(kept, expected)
    assert len(error.history) == error.iteration


def test_divergence_guard_names_the_population_members():
    X, y = exploding_regression()
    net = MLP([3, 1], output_activation="linear", seed=[0, 0])
    with pytest.raises(DivergenceError, match=r"models \[1\] of the population") as caught:
        fit(net, X, y, loss="mse", optimizer=sgd(np.array([1e-4, 1.0])), iterations=1000)
    assert caught.value.models == [1]


def test_guard_can_be_turned_off():
    X, y = exploding_regression()
    net = MLP([3, 1], output_activation="linear", seed=0)
    with pytest.warns(RuntimeWarning, match="invalid value"):  # unguarded: NumPy's warnings
        fit(net, X, y, loss="mse", optimizer=sgd(1.0), iterations=300, guard=False)
    assert not np.all(np.isfinite(net.params[0]))


def test_softmax_output_trains_fused_with_cross_entropy():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    labels = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)
    net = MLP([2, 16, 3], activation="tanh", output_activation="softmax", seed=0)
    history = fit(net, X, labels, loss="softmax_crossentropy", optimizer=sgd(0.5),
                  epochs=300, metrics=["accuracy"])
    assert history["accuracy"][-1] > 0.9
    assert np.allclose(net.predict(X).sum(axis=1), 1.0)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(loss="hinge"), "'loss'"),
        (dict(optimizer="adamx"), "'optimizer'"),
        (dict(epochs=1, iterations=1), "'epochs'"),
        (dict(), "'epochs'"),
        (dict(epochs=0), "'epochs'"),
        (dict(epochs=1, batch_size=5), "'batch_size'"),
        (dict(epochs=1, batch_size=0), "'batch_size'"),
    ],
)
def test_bad_fit_arguments_get_one_clear_error(kwargs, fragment):
    X, y = tutorial_xy("part1")
    with pytest.raises(ValueError, match=fragment):
        fit(tutorial_net(), X, y, **kwargs)


@pytest.mark.parametrize(
    ("X", "y", "fragment"),
    [
        (np.ones((4, 3)), np.ones((3, 1)), "'y'.*4 rows.*3 rows"),
        (np.ones((4, 2)), np.ones((4, 1)), "'X'.*3 columns"),
        (np.array([[np.nan, 0, 1]] * 4), np.ones((4, 1)), "'X'.*finite"),
        (np.ones((4, 3)), np.array([0, 1, np.inf, 0]), "'y'.*finite"),
        (np.ones((4, 3)), np.ones((4, 2)), "'y'.*1 column, one per model output"),
        ([["a", "b", "c"]] * 4, np.ones(4), "'X'.*numeric"),
        (np.ones((0, 3)), np.ones((0, 1)), "'X'.*non-empty"),
    ],
)
def test_bad_data_gets_one_clear_error(X, y, fragment):
    with pytest.raises(ValueError, match=fragment):
        fit(tutorial_net(), X, y, epochs=1)


def test_labels_that_do_not_fit_the_outputs_are_rejected():
    net = MLP([2, 3], output_activation="softmax", seed=0)
    with pytest.raises(ValueError, match=r"class labels 0\.\.2"):
        fit(net, np.ones((4, 2)), [0, 1, 2, 3], loss="softmax_crossentropy", epochs=1)


def test_the_numeric_core_never_imports_the_training_loop():
    # Imports point one way: the loop and callbacks build on models, layers, losses and
    # optimizers, never the reverse (function-level imports count too).
    import ast
    import pathlib

    root = pathlib.Path(mlplab.__file__).parent
    graph = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {m for m in found if m.startswith("mlplab")}

    def reachable(start):
        seen, todo = set(), [start]
        while todo:
            for m in graph.get(todo.pop(), ()):
                if m not in seen and m != "mlplab":
                    seen.add(m)
                    todo.append(m)
        return seen

    core = ["mlplab.model", "mlplab.layers", "mlplab.losses", "mlplab.activations",
            "mlplab.initializers", "mlplab.objective", "mlplab.optim", "mlplab.params",
            "mlplab.backend", "mlplab.streams", "mlplab.metrics", "mlplab.io",
            "mlplab.checkpoint", "mlplab.state", "mlplab.history", "mlplab.numpy_step"]
    for module in core:
        assert "mlplab.train" not in reachable(module), module
        assert "mlplab.callbacks" not in reachable(module), module
    assert not any(m.startswith("mlplab.optim") for m in reachable("mlplab.model"))


def test_fit_uses_no_global_random_state():
    state = np.random.get_state()
    X = np.arange(20.0).reshape(10, 2)
    fit(MLP([2, 3, 1], seed=0), X, np.arange(10.0), epochs=2, batch_size=3, seed=1)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1])


def test_public_names_are_exported():
    for name in mlplab.__all__:
        assert hasattr(mlplab, name)


def test_divergence_guard_puts_back_the_last_finite_step_with_its_running_statistics():
    from mlplab import BatchNorm, Sequential
    from mlplab.layers import Dense

    class Overflow(Callback):
        """Stands in for an update that overflowed while its loss was still finite."""

        def on_step_end(self, state):
            if state.iteration == 5:
                state.params[0][0, 0] = np.inf

    X, y = exploding_regression()
    net = Sequential([Dense(3, 4), BatchNorm(4), Dense(4, 1)], seed=0)
    with pytest.raises(DivergenceError, match=r"the update of iteration 5 had already "
                       r"overflowed the weights, so the weights from before it \(iteration 5\) "
                       r"were restored"):
        fit(net, X, y / 100, loss="mse", optimizer=sgd(0.01), iterations=10,
            callbacks=[Overflow()])
    five_steps = Sequential([Dense(3, 4), BatchNorm(4), Dense(4, 1)], seed=0)
    fit(five_steps, X, y / 100, loss="mse", optimizer=sgd(0.01), iterations=5)
    for kept, expected in zip((*net.params, *net.buffers),
                              (*five_steps.params, *five_steps.buffers), strict=True):
        np.testing.assert_array_equal(kept, expected)


def test_per_model_alpha_must_match_the_population():
    X, y = tutorial_xy("part2")
    net = tutorial_net(seed=[1, 1, 1])
    with pytest.raises(ValueError, match=r"'alpha' parameter of sgd.*shape \(3,\)"):
        fit(net, X, y, optimizer=sgd(np.array([0.1, 1.0])), iterations=1)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "adamw", "rmsprop",
                                       "adagrad", "adadelta"])
def test_float32_stays_float32_end_to_end(optimizer):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 5)).astype(np.float32)
    labels = (X[:, 0] > 0).astype(int)
    dtypes = set()

    class Dtypes(Callback):
        def on_step_end(self, state):
            arrays = [state.outputs, *state.grads, *state.updates, *state.params]
            dtypes.update(a.dtype for a in arrays)
            dtypes.update(np.asarray(x).dtype for x in _leaves(state.optimizer_state))

    net = MLP([5, 8, 2], activation="relu", output_activation="softmax", seed=0,
              dtype="float32")
    fit(net, X, labels, loss="softmax_crossentropy", optimizer=optimizer, epochs=2,
        batch_size=16, callbacks=[Dtypes()])
    floats = {d for d in dtypes if d.kind == "f"}
    assert floats == {np.dtype(np.float32)}
    assert net.predict(X).dtype == np.float32


def _leaves(tree):
    if isinstance(tree, tuple | list):
        return [leaf for child in tree for leaf in _leaves(child)]
    return [] if tree is None or isinstance(tree, int) else [tree]
