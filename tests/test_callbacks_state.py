"""Callback state: saved mid-run (through an NPZ file) and restored, a run goes on unchanged."""

import numpy as np
import pytest

from mlplab.backend import NUMPY, Backend, to_numpy
from mlplab.callbacks import (
    CALLBACKS,
    DirectionChanges,
    DivergenceGuard,
    EarlyStopping,
    PrintError,
    Resumable,
)
from mlplab.callbacks.base import overrides
from mlplab.history import History
from mlplab.params import ParamList

xp = pytest.importorskip("array_api_strict")
BACKENDS = [NUMPY, Backend("array_api_strict", xp, device=xp.Device("device1"))]
SHAPES = [(3, 4), (4, 1)]  # the tutorial's 3-4-1 network


class Model:
    def __init__(self, params, buffers):
        self.params, self.buffers, self.population = params, buffers, params.population


class State:
    """A TrainingState-like run whose weights and monitored values follow a fixed script."""

    def __init__(self, backend, population):
        rng = np.random.default_rng(1)
        self.backend, self.population = backend, population
        self.params = ParamList([backend.asarray(rng.normal(size=population + s))
                                 for s in SHAPES], population, backend=backend)
        self.model = Model(self.params, [backend.asarray(rng.normal(size=(*population, 4)))])
        self.history = History()
        self.epoch = self.iteration = 0
        self.stop_training = False
        script = np.random.default_rng(2)
        self.steps = [[script.normal(size=population + s) for s in SHAPES] for _ in range(10)]
        self.values = script.uniform(0.5, 1.0, size=(10, *population))
        self.values[[0, 1, 3]] = np.array([0.4, 0.3, 0.2])[:, None] if population else [
            0.4, 0.3, 0.2]  # improvements at epochs 0, 1, 3: patience 4 runs out at epoch 7
        if population:
            self.values[4, 1] = 0.1  # member 1 improves once more: it runs out at epoch 8

    def run_epoch(self, callback, epoch):
        """Change the weights, record the epoch's value, call the epoch hook."""
        self.epoch = epoch
        for p, step in zip(self.params, self.steps[epoch], strict=True):
            p[...] = p + self.backend.asarray(step)
        self.model.buffers[0][...] = self.model.buffers[0] + 1.0
        self.history.column("val_loss").append(self.backend.asarray(np.asarray(self.values[epoch])))
        callback.on_epoch_end(self)
        return (self.stop_training, callback.best.copy(), callback.best_epoch.copy(),
                callback.wait.copy())


def save_and_load(state_dict, path):
    """What a checkpoint does with a callback's state: an NPZ file, no pickle."""
    np.savez(path, **state_dict)
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def assert_records_equal(a, b):
    for x, y in zip(a, b, strict=True):
        assert x[0] == y[0]
        for u, v in zip(x[1:], y[1:], strict=True):
            np.testing.assert_array_equal(u, v)


def run_through(backend, population, epochs, callback=None):
    state = State(backend, population)
    callback = callback or EarlyStopping("val_loss", patience=4)
    callback.on_train_begin(state)
    records = []
    for epoch in epochs:
        records.append(state.run_epoch(callback, epoch))
        if state.stop_training:
            break
    return state, callback, records


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("population", [(), (2,)])
@pytest.mark.parametrize("restore", ["before_train_begin", "after_train_begin"])
def test_early_stopping_resumed_equals_unbroken(backend, population, restore, tmp_path):
    whole_state, whole, whole_records = run_through(backend, population, range(10))
    whole.on_train_end(whole_state)

    state, first, records = run_through(backend, population, range(5))
    saved = save_and_load(first.get_state(), tmp_path / "early_stopping.npz")
    second = EarlyStopping("val_loss", patience=4)
    if restore == "before_train_begin":
        second.set_state(saved)
        second.on_train_begin(state)
    else:
        second.on_train_begin(state)
        second.set_state(saved)
    for epoch in range(5, 10):
        records.append(state.run_epoch(second, epoch))
        if state.stop_training:
            break
    second.on_train_end(state)

    assert_records_equal(records, whole_records)
    assert second.stopped_epoch == whole.stopped_epoch == (8 if population else 7)
    for a, b in zip([*whole_state.params, *whole_state.model.buffers],
                    [*state.params, *state.model.buffers], strict=True):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))  # the same best weights back
    for a, b in zip(whole.get_state().items(), second.get_state().items(), strict=True):
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[1], b[1])


def test_early_stopping_state_holds_numpy_arrays_and_numbers():
    _, stopper, _ = run_through(BACKENDS[1], (2,), range(10))
    state = stopper.get_state()
    assert sorted(state) == ["best", "best_buffers_0", "best_epoch", "best_weights_0",
                             "best_weights_1", "stopped_epoch", "wait"]
    assert all(isinstance(v, np.ndarray) for k, v in state.items() if k != "stopped_epoch")
    assert state["stopped_epoch"] == 8
    np.testing.assert_array_equal(state["best_epoch"], [3, 4])
    np.testing.assert_array_equal(state["best"], stopper.best)


def test_early_stopping_in_max_mode_keeps_its_sign_through_a_restore(tmp_path):
    stopper = EarlyStopping("val_accuracy", patience=2)
    state = State(NUMPY, ())
    stopper.on_train_begin(state)
    for epoch, value in enumerate([0.5, 0.7]):
        state.history.column("val_accuracy").append(value)
        state.epoch = epoch
        stopper.on_epoch_end(state)
    again = EarlyStopping("val_accuracy", patience=2)
    again.set_state(save_and_load(stopper.get_state(), tmp_path / "s.npz"))
    again.on_train_begin(state)
    assert again.best == 0.7 and again.best_epoch == 1
    state.history.column("val_accuracy").append(0.6)
    state.epoch = 2
    again.on_epoch_end(state)
    assert again.best == 0.7 and again.wait == 1


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_direction_changes_resumed_equals_unbroken(backend, tmp_path):
    rng = np.random.default_rng(3)
    updates = [[rng.normal(size=(2, *s)) for s in SHAPES] for _ in range(10)]

    def feed(counter, state, steps):
        for i in steps:
            state.iteration = i
            state.updates = [backend.asarray(u) for u in updates[i]]
            counter.on_step_end(state)

    whole, state = DirectionChanges(), State(backend, (2,))
    whole.on_train_begin(state)
    feed(whole, state, range(10))
    first = DirectionChanges()
    first.on_train_begin(state)
    feed(first, state, range(5))
    second = DirectionChanges()
    second.set_state(save_and_load(first.get_state(), tmp_path / "directions.npz"))
    second.on_train_begin(state)
    feed(second, state, range(5, 10))
    for a, b in zip(whole.counts, second.counts, strict=True):
        np.testing.assert_array_equal(a, b)
    assert sum(int(c.sum()) for c in whole.counts) > 0


def test_a_restored_state_of_the_wrong_shape_is_refused():
    _, stopper, _ = run_through(NUMPY, (2,), range(3))
    saved = stopper.get_state()
    fresh = EarlyStopping("val_loss")
    fresh.set_state(saved)
    assert fresh.get_state().keys() == saved.keys()  # held until training begins
    with pytest.raises(ValueError, match=r"'state' parameter of EarlyStopping\.set_state"):
        fresh.on_train_begin(State(NUMPY, ()))
    counter = DirectionChanges()
    counter.on_train_begin(State(NUMPY, ()))
    with pytest.raises(ValueError, match=r"'state' parameter of DirectionChanges\.set_state"):
        counter.set_state({"counts_0": np.zeros((3, 4), dtype=np.int64)})


def test_callbacks_without_state():
    for callback in (DivergenceGuard(), PrintError()):
        assert callback.get_state() == {}
        callback.set_state({})
        with pytest.raises(ValueError, match=r"'state' parameter of .*set_state"):
            callback.set_state({"best": 1.0})
    stateful = sorted(name for name in CALLBACKS if issubclass(CALLBACKS[name], Resumable))
    assert stateful == ["DirectionChanges", "EarlyStopping", "MemberSteps"]
    arguments = {"MemberSteps": ([2],)}  # the others build from their defaults
    assert all(overrides(CALLBACKS[name](*arguments.get(name, ())), "get_state")
               for name in stateful)
    assert not overrides(PrintError(), "get_state")


def test_reduce_plateau_lowers_the_rate_and_resumes_where_it_was(tmp_path):
    from mlplab import MLP, fit, sgd
    from mlplab.callbacks import Checkpoint, ReducePlateau
    from mlplab.optim import reduce_lr_on_plateau

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=(30, 1))

    def run(epochs, path=None, resume_from=None):
        rate = reduce_lr_on_plateau(0.05, patience=1, factor=0.5)
        callbacks = [ReducePlateau(rate, monitor="val_loss")]
        callbacks += [Checkpoint(path)] if path else []
        net = MLP([3, 8, 1], seed=0)
        fit(net, X, y, optimizer=sgd(rate), epochs=epochs, batch_size=10, seed=1,
            validation_split=0.3, callbacks=callbacks, resume_from=resume_from)
        return net, rate

    whole, rate = run(12)
    assert rate(0) < 0.05  # the plateau lowered it
    _, halfway = run(6, path=tmp_path / "c.npz")
    assert halfway(0) < 0.05  # lowered before the checkpoint: the resume must bring it back
    again, rate_again = run(12, resume_from=tmp_path / "c.npz")
    assert rate_again(0) == rate(0)
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)
