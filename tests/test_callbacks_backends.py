"""Every callback on array-api-strict equals its NumPy run (values to 1e-12, counts exactly).

The strict arrays live on array-api-strict's second device ("device1"), which,
like a GPU, refuses silent conversion to NumPy: a NumPy function applied to
them, or a NumPy scalar mixed into their arithmetic, raises. Each test drives a
callback's hooks by hand, in the training loop's order, through the same
scripted steps on both backends, with the params updated in place as `fit` does.
"""

import io

import numpy as np
import pytest

from mlplab import MLP
from mlplab.backend import NUMPY, Backend, to_numpy
from mlplab.callbacks import (
    DirectionChanges,
    DivergenceError,
    DivergenceGuard,
    EarlyStopping,
    LearningRateScheduler,
    PrintError,
    ProgressBar,
    TrainingDynamics,
    Validation,
    WeightPath,
)
from mlplab.history import History
from mlplab.losses import Loss
from mlplab.params import ParamList

xp = pytest.importorskip("array_api_strict")
STRICT = Backend("array_api_strict", xp, device=xp.Device("device1"))
POPULATIONS = [(), (2,)]


def namespace_of(a):
    import array_api_compat

    return array_api_compat.array_namespace(a)


class Model:
    """What callbacks read from ``state.model``: layers (for names), params, buffers."""

    def __init__(self, layers, params, buffers):
        self.layers, self.params, self.buffers = layers, params, buffers
        self.population = params.population


class State:
    """A TrainingState-like object whose arrays all live on `backend`."""

    def __init__(self, backend, population, *, buffers=True, seed=0):
        rng = np.random.default_rng(seed)
        net = MLP([3, 4, 1], activation="sigmoid", seed=0)  # params W (3, 4), b (4,), W, b
        shapes = [population + p.shape for p in net.params]
        self.backend, self.rng = backend, rng
        host = [rng.normal(size=s) for s in shapes]
        host[1][...] = 0.0  # a zero bias: its update ratio is NaN
        self.params = ParamList([backend.asarray(a) for a in host], population, backend=backend)
        running = [backend.asarray(rng.normal(size=(*population, 4)))] if buffers else []
        self.model = Model(net.layers, self.params, running)
        self.history = History()
        self.iteration = self.epoch = 0
        self.stop_training = False
        self.epochs = self.max_steps = 100
        self.loss = self.outputs = self.y_batch = None
        self.grads, self.updates = [], []

    def draw_step(self, *, loss=None):
        """This step's grads, updates (about -0.1 grad, some exactly zero), outputs and loss."""
        rng, population = self.rng, self.params.population
        grads = [rng.normal(size=p.shape) for p in self.params]
        grads[0].flat[0] = 0.0  # an update of -0.0: not "moved down"
        self.grads = [self.backend.asarray(g) for g in grads]
        self.updates = [self.backend.asarray(-0.1 * g) for g in grads]
        self.outputs = self.backend.asarray(rng.uniform(size=(*population, 5, 1)))
        self.y_batch = self.backend.asarray(rng.uniform(size=(5, 1)))
        value = rng.uniform(0.1, 1.0, size=population) if loss is None else loss
        self.loss = self.backend.asarray(np.asarray(value, dtype=np.float64))

    def apply(self):
        for p, u in zip(self.params, self.updates, strict=True):
            p[...] = p + u


def train(state, callbacks, *, steps=12, per_epoch=3, losses=None, monitor=None):
    """Run the loop's hooks over scripted steps; History gets "loss" (and `monitor`) per epoch."""
    for c in callbacks:
        c.on_train_begin(state)
    for i in range(steps):
        state.iteration, state.epoch = i, i // per_epoch
        state.draw_step(loss=None if losses is None else losses[i])
        for c in callbacks:
            c.on_step_begin(state)
            c.on_before_update(state)
        state.apply()
        for c in callbacks:
            c.on_step_end(state)
        if (i + 1) % per_epoch == 0:
            state.history.column("loss").append(state.loss)
            if monitor is not None:
                state.history.column("val_loss").append(state.backend.asarray(np.asarray(monitor[i])))
            for c in callbacks:
                c.on_epoch_end(state)
            if state.stop_training:
                break
    for c in callbacks:
        c.on_train_end(state)


def both(make, population, **kwargs):
    """(NumPy run, strict run): the callbacks `make()` returns and each run's state."""
    runs = []
    for backend in (NUMPY, STRICT):
        state, callbacks = State(backend, population), make()
        train(state, callbacks, **kwargs)
        runs.append((callbacks, state))
    return runs


def assert_same(numpy_value, strict_value):
    np.testing.assert_allclose(to_numpy(strict_value), numpy_value, rtol=1e-12, atol=0)


def assert_strict(arrays):
    """The arrays stayed in the strict namespace, on its device."""
    for a in arrays:
        assert namespace_of(a) is xp and a.device == STRICT.device


@pytest.mark.parametrize("population", POPULATIONS)
def test_direction_changes_counts_exactly(population):
    (ours, _), (theirs, strict_state) = both(lambda: [DirectionChanges()], population)
    assert_strict(theirs[0]._counts)
    for a, b in zip(ours[0].counts, theirs[0].counts, strict=True):
        assert isinstance(b, np.ndarray) and b.dtype == np.int64
        np.testing.assert_array_equal(a, b)
    assert sum(int(c.sum()) for c in ours[0].counts) > 0
    assert_strict(strict_state.params)


@pytest.mark.parametrize("population", POPULATIONS)
def test_training_dynamics_norms_and_ratios(population):
    (ours, _), (theirs, _) = both(lambda: [TrainingDynamics(every=2)], population)
    assert theirs[0].iterations == ours[0].iterations == [0, 2, 4, 6, 8, 10]
    for name in ours[0].names:
        for table in ("grad_norms", "update_ratios"):
            a, b = getattr(ours[0], table)[name], getattr(theirs[0], table)[name]
            assert isinstance(b, np.ndarray) and a.shape == b.shape == (6, *population)
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=0)
    assert np.isnan(ours[0].update_ratios["layer 0 b"][0]).all()  # the zero bias


@pytest.mark.parametrize("population", POPULATIONS)
def test_weight_path_values(population):
    weights = [(0, "W", 1, 2), (2, "W", 3, 0)]
    (ours, _), (theirs, _) = both(lambda: [WeightPath(weights, every=5)], population)
    assert theirs[0].iterations == ours[0].iterations == [0, 5, 10, 11]
    assert isinstance(theirs[0].values, np.ndarray)
    np.testing.assert_allclose(theirs[0].values, ours[0].values, rtol=1e-12, atol=0)


@pytest.mark.parametrize("population", POPULATIONS)
@pytest.mark.parametrize("per_model", [False, True])
def test_learning_rate_scheduler_scales_updates(population, per_model):
    def schedule(epoch):
        factor = 0.5**epoch
        return np.array([factor, 2 * factor]) if per_model and population else factor

    (_, numpy_state), (theirs, strict_state) = both(
        lambda: [LearningRateScheduler(schedule)], population)
    assert_strict(strict_state.params)
    for a, b in zip(numpy_state.params, strict_state.params, strict=True):
        assert_same(a, b)
    assert len(theirs[0].factors) == 4


@pytest.mark.parametrize("population", POPULATIONS)
def test_print_error_records_and_prints_numpy_numbers(population):
    def mae(out, y):  # a metric written for any namespace
        space = namespace_of(out)
        return space.mean(space.abs(out - y), axis=(-2, -1))

    runs = []
    for backend in (NUMPY, STRICT):
        lines = []
        callback = PrintError(4, metric=mae, print_fn=lines.append)
        train(State(backend, population), [callback])
        runs.append((callback, lines))
    (ours, our_lines), (theirs, their_lines) = runs
    assert theirs.iterations == ours.iterations == [0, 4, 8]
    for a, b in zip(ours.errors, theirs.errors, strict=True):
        assert isinstance(b, np.ndarray if population else float)
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=0)
    assert their_lines == our_lines and their_lines[0].startswith("Error after 0 iterations:")


@pytest.mark.parametrize("population", POPULATIONS)
@pytest.mark.parametrize("mode", ["min", "max"])
def test_early_stopping_best_epoch_and_weights(population, mode):
    monitor = np.random.default_rng(5).uniform(size=(30, *population))
    monitor[[2, 8, 11]] = 0.01 if mode == "min" else 0.99  # improvements at epochs 0, 2, 3

    def make():
        return [EarlyStopping("val_loss", patience=4, mode=mode)]

    (ours, numpy_state), (theirs, strict_state) = both(make, population, steps=30,
                                                       monitor=monitor)
    a, b = ours[0], theirs[0]
    assert b.stopped_epoch == a.stopped_epoch is not None
    np.testing.assert_array_equal(b.best_epoch, a.best_epoch)
    np.testing.assert_array_equal(b.wait, a.wait)
    np.testing.assert_allclose(b.best, a.best, rtol=1e-12, atol=0)
    assert_strict([*b.best_weights, *b.best_buffers, *strict_state.params])
    for x, y in zip([*numpy_state.params, *numpy_state.model.buffers],
                    [*strict_state.params, *strict_state.model.buffers], strict=True):
        assert_same(x, y)  # the restored best weights and buffers


@pytest.mark.parametrize("population", POPULATIONS)
def test_divergence_guard_keeps_the_last_finite_weights(population):
    losses = [np.full(population, 0.5)] * 12
    bad = np.full(population, 0.5)
    bad[...] = np.nan if not population else [0.5, np.nan]
    losses[7] = bad
    errors, weights = [], []
    for backend in (NUMPY, STRICT):
        state = State(backend, population)
        with pytest.raises(DivergenceError) as caught:
            train(state, [DivergenceGuard(snapshot_every=2)], losses=losses)
        errors.append(caught.value)
        weights.append(state.params)
    assert_strict(weights[1])
    assert errors[1].iteration == errors[0].iteration == 7
    assert errors[1].models == errors[0].models == ([1] if population else [])
    assert str(errors[1]) == str(errors[0])
    for a, b in zip(*weights, strict=True):
        assert_same(a, b)


def test_divergence_guard_restores_its_snapshot_after_an_overflow():
    results = []
    for backend in (NUMPY, STRICT):
        state = State(backend, (2,))
        guard = DivergenceGuard(snapshot_every=3)
        guard.on_train_begin(state)
        for i in range(5):
            state.iteration = i
            state.draw_step()
            guard.on_before_update(state)
            state.apply()
            if i == 3:  # an update overflowed; the losses stay finite for another step
                state.params[2][...] = float("inf")
        state.model.buffers[0][...] = float("nan")
        state.iteration, state.loss = 5, backend.asarray(np.array([np.inf, 0.5]))
        with pytest.raises(DivergenceError, match="weights from iteration 3 were restored"):
            guard.on_before_update(state)
        results.append([*state.params, *state.model.buffers])
    for a, b in zip(*results, strict=True):
        assert np.isfinite(to_numpy(b)).all()
        assert_same(a, b)


class MeanSquares(Loss):
    """MSE written for any namespace (the fake model's validation loss)."""

    name = "test_mse"

    def value(self, out, y, xp=None):
        space = namespace_of(out)
        return space.mean((out - y) ** 2, axis=(-2, -1))


class Linear:
    """A model with one weight array: out = X @ W (population: one W per model)."""

    def __init__(self, W, backend):
        self.W, self.layers, self.buffers, self.backend = W, [None], [], backend

    def forward(self, X, *, training):
        return namespace_of(self.W).matmul(X, self.W)


@pytest.mark.parametrize("population", POPULATIONS)
def test_validation_records_values_the_history_gives_back_as_numpy(population):
    rng = np.random.default_rng(2)
    X, y, W = rng.normal(size=(6, 3)), rng.normal(size=(6, 1)), rng.normal(size=(*population, 3, 1))
    histories = []
    for backend in (NUMPY, STRICT):
        state = State(backend, population)
        state.model = Linear(backend.asarray(W), backend)
        callback = Validation(backend.asarray(X), backend.asarray(y), MeanSquares())
        for epoch in range(3):
            state.epoch = epoch
            callback.on_epoch_end(state)
            state.model.W = state.model.W * 0.5
        histories.append(state.history)
    assert_strict(histories[1].history["val_loss"])  # recorded as computed, not converted
    ours, theirs = histories[0]["val_loss"], histories[1]["val_loss"]
    assert isinstance(theirs, np.ndarray) and theirs.shape == (3, *population)
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=0)


def test_history_converts_device_values_once_on_first_read():
    history = History()
    column = history.column("loss")
    column += [STRICT.asarray(np.array([1.0, 2.0])), STRICT.asarray(np.array([3.0, 4.0]))]
    np.testing.assert_array_equal(history.last("loss"), [3.0, 4.0])
    assert isinstance(column[1], np.ndarray) and not isinstance(column[0], np.ndarray)
    values = history["loss"]
    np.testing.assert_array_equal(values, [[1.0, 2.0], [3.0, 4.0]])
    assert all(isinstance(v, np.ndarray) for v in column) and column is history.column("loss")
    with pytest.raises(KeyError, match="no 'val_loss'"):
        history.last("val_loss")
    history.column("val_loss")
    with pytest.raises(KeyError, match="no value of 'val_loss' yet"):
        history.last("val_loss")


def test_progress_bar_shows_a_device_loss():
    pytest.importorskip("tqdm")
    shown = io.StringIO()
    state, bar = State(STRICT, (2,)), ProgressBar(force=True, file=shown)
    train(state, [bar], steps=6)
    assert bar.bar.n == 2 and bar.bar.postfix.startswith("loss=")
