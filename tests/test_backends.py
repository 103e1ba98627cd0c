"""Backends: the numeric core on array-api-strict (and CuPy, where a GPU is) equals NumPy.

array-api-strict refuses anything outside the array API standard (NumPy scalars in its
arithmetic, NumPy functions on its arrays), as CuPy refuses silent host conversion, so a
core that passes here runs on any standard namespace.
"""

import numpy as np
import pytest

import mlplab
import mlplab.lab
from mlplab.backend import NUMPY, backend_of, get_backend, to_numpy
from mlplab.layers import Activation, BatchNorm, Dense, Dropout
from mlplab.losses import LOSSES, get_loss
from mlplab.model import MLP, Sequential
from mlplab.objective import Objective

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
Y = RNG.normal(size=(12, 2))


def assert_close(a, b, tol=1e-12):
    a, b = np.asarray(to_numpy(a)), np.asarray(to_numpy(b))
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def model_pair(make, backend):
    """The same model (same seed) on NumPy and on `backend`."""
    return make().to("numpy"), make().to(backend)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_outputs_loss_and_gradients_equal_numpy(backend, activation, loss):
    output = "softmax" if loss == "softmax_crossentropy" else (
        "sigmoid" if loss == "binary_crossentropy" else activation)
    y = (Y > 0).astype(float) if "crossentropy" in loss else Y
    ours, theirs = model_pair(lambda: MLP([3, 5, 2], activation=activation,
                                          output_activation=output, seed=[1, 2]), backend)
    got = Objective(theirs, get_loss(loss), None, None).gradients(
        theirs.backend.asarray(X), theirs.backend.asarray(y))
    want = Objective(ours, get_loss(loss), None, None).gradients(X, y)
    assert type(got[0]) is not np.ndarray
    for a, b in zip([want[0], want[1], *want[2]], [got[0], got[1], *got[2]], strict=True):
        assert_close(a, b)


def test_batchnorm_and_dropout_equal_numpy_with_the_same_streams(backend):
    def make():
        return Sequential([Dense(3, 6), BatchNorm(6), Activation("relu"),
                           Dropout(0.4, seed=[3, 4]), Dense(6, 2)], seed=[5, 6])

    ours, theirs = model_pair(make, backend)
    rngs = [None, None, None, [np.random.default_rng(s) for s in (3, 4)], None]
    rngs2 = [None, None, None, [np.random.default_rng(s) for s in (3, 4)], None]
    want = ours.forward(X, training=True, rngs=rngs)
    got = theirs.forward(theirs.backend.asarray(X), training=True, rngs=rngs2)
    assert_close(want, got)
    grads_want = ours.backward(ours.xp.ones_like(want))
    grads_got = theirs.backward(theirs.xp.ones_like(got))
    for a, b in zip(grads_want, grads_got, strict=True):
        assert_close(a, b)
    for a, b in zip(ours.buffers, theirs.buffers, strict=True):  # running statistics moved
        assert_close(a, b)


def test_a_seed_gives_the_same_initial_weights_on_every_backend(backend):
    for init in ["tutorial", "glorot_uniform", "he_normal"]:
        ours = MLP([3, 4, 1], init=init, seed=7)
        theirs = MLP([3, 4, 1], init=init, seed=7, backend=backend)
        for a, b in zip(ours.params, theirs.params, strict=True):
            np.testing.assert_array_equal(a, to_numpy(b))


def test_predict_returns_arrays_of_the_models_backend_and_to_numpy_brings_it_home(backend):
    net = MLP([3, 4, 2], seed=0, backend=backend)
    out = net.predict(X)  # NumPy data is moved to the model's backend
    assert backend_of(out) == get_backend(backend)
    assert net.params.backend == get_backend(backend)
    net.to_numpy()
    assert isinstance(net.predict(X), np.ndarray)
    assert net.backend is NUMPY
    assert_close(net.predict(X), out)


def test_backend_none_follows_the_first_data_it_sees(backend):
    xp = get_backend(backend).xp
    net = MLP([3, 4, 2], seed=0)
    out = net.predict(get_backend(backend).asarray(X))
    assert backend_of(out) == get_backend(backend)
    assert net.backend == get_backend(backend)
    assert xp is net.xp
    fixed = MLP([3, 4, 2], seed=0, backend="numpy")  # a named backend stays put
    assert isinstance(fixed.predict(get_backend(backend).asarray(X)), np.ndarray)


def test_data_on_the_backend_is_checked_there(backend):
    net = MLP([3, 4, 2], seed=0, backend=backend)
    bad = get_backend(backend).asarray(np.where(X > 1, np.nan, X))
    with pytest.raises(ValueError, match="finite"):
        net.predict(bad)
    with pytest.raises(ValueError, match="3 columns"):
        net.predict(get_backend(backend).asarray(np.ones((2, 4))))


def test_save_and_load_move_through_numpy(backend, tmp_path):
    net = MLP([3, 4, 2], seed=0, backend=backend)
    mlplab.save(net, tmp_path / "m.npz")
    back = mlplab.load(tmp_path / "m.npz")
    assert back.backend is NUMPY
    assert_close(back.predict(X), net.predict(X))
    there = mlplab.load(tmp_path / "m.npz", backend=backend)
    assert there.backend == get_backend(backend)


def test_an_unknown_or_missing_backend_is_named():
    with pytest.raises(ValueError, match="'backend' parameter of MLP"):
        MLP([2, 1], backend="tpu")


def test_models_pickle_with_their_backend(backend):
    import pickle

    net = MLP([3, 4, 2], seed=0, backend=backend)
    again = pickle.loads(pickle.dumps(net))
    assert again.backend == net.backend
    assert_close(again.predict(X), net.predict(X))


def test_a_sweep_on_another_backend_gives_the_numpy_table(backend):
    grid = dict(alpha=[0.5, 5.0], hidden=[3, 4], iterations=300, every=100)
    here = mlplab.lab.sweep(**grid)
    there = mlplab.lab.sweep(**grid, backend=backend)
    assert len(here.rows) == len(there.rows)
    for a, b in zip(here.rows, there.rows, strict=True):
        assert a["config"] == b["config"] and a["iteration"] == b["iteration"]
        np.testing.assert_allclose(b["error"], a["error"], rtol=1e-9)


def test_numpy_work_imports_no_other_array_library():
    # CuPy is an optional extra, imported only when asked for; NumPy needs no compat layer.
    import subprocess
    import sys

    code = ("import sys, numpy as np, mlplab\n"
            "net = mlplab.MLP([2, 3, 1], seed=0)\n"
            "mlplab.fit(net, np.ones((4, 2)), np.ones(4), epochs=2)\n"
            "net.predict(np.ones((1, 2)))\n"
            "print(sorted(m for m in ('cupy', 'array_api_compat', 'array_api_strict', 'torch')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_asking_for_a_missing_library_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cupy(name, *args, **kwargs):
        if name == "cupy" or name.startswith("cupy."):
            raise ImportError("no cupy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cupy)
    monkeypatch.delitem(__import__("sys").modules, "cupy", raising=False)
    with pytest.raises(ImportError, match=r"mlplab\[gpu\]"):
        get_backend("cupy")


def _train_on(backend_name, make, optimizer, **kwargs):
    """Train `make()` on a backend with everything fit offers; returns (model, history)."""
    net = make().to(backend_name)
    history = mlplab.fit(net, X, Y, optimizer=optimizer(), **kwargs)
    return net, history


def _assert_same_run(backend, make, optimizer, **kwargs):
    ours, our_history = _train_on("numpy", make, optimizer, **kwargs)
    theirs, their_history = _train_on(backend, make, optimizer, **kwargs)
    assert theirs.backend == get_backend(backend)
    for a, b in zip(ours.params, theirs.params, strict=True):
        assert_close(a, b)
    for a, b in zip(ours.buffers, theirs.buffers, strict=True):
        assert_close(a, b)
    for name in our_history.history:
        assert_close(our_history[name], their_history[name])
    return theirs


def _deep():
    return Sequential([Dense(3, 8), BatchNorm(8), Activation("relu"),
                       Dropout([0.2, 0.3], seed=[1, 2]), Dense(8, 2)], seed=[4, 5])


@pytest.mark.parametrize("optimizer", [
    lambda: mlplab.sgd(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda: mlplab.adam(mlplab.optim.cosine_decay(0.01, 30), amsgrad=True),
    lambda: mlplab.chain(mlplab.optim.clip_by_global_norm(0.5), mlplab.rmsprop(0.01)),
    lambda: mlplab.chain(mlplab.optim.clip_by_value(0.1), mlplab.adagrad(0.05)),
    lambda: mlplab.adadelta(1.0), lambda: mlplab.adamw(np.array([0.01, 0.02]))],
    ids=["nesterov", "amsgrad-cosine", "clip-norm-rmsprop", "clip-value-adagrad",
         "adadelta", "adamw-per-model"])
def test_fit_with_minibatches_dropout_and_batchnorm_equals_numpy(backend, optimizer):
    _assert_same_run(backend, _deep, optimizer, epochs=3, batch_size=5, seed=3,
                     metrics=["mae"], validation_split=0.25)


@pytest.mark.parametrize("batching", [dict(batch_size=5, validation_split=0.25),
                                      dict(batch_size=4, sampler="aw-sgd"), dict()],
                         ids=["minibatches-split", "aw-sgd", "full-batch"])
def test_fit_with_sample_weights_equals_numpy(backend, batching):
    weights = RNG.integers(0, 3, len(X)).astype(float)
    weights[0] = 1.0  # not all zero
    _assert_same_run(backend, _deep, lambda: mlplab.adam(0.01), epochs=3, seed=3,
                     sample_weight=weights, **batching)


def test_early_stopping_restores_the_same_weights(backend):
    from mlplab.callbacks import EarlyStopping

    def make():
        return MLP([3, 8, 2], seed=[0, 1])

    stop = EarlyStopping("val_loss", patience=2)
    ours, _ = _train_on("numpy", make, lambda: mlplab.sgd(0.5), epochs=30, batch_size=4,
                        validation_split=0.3, seed=1, callbacks=[stop])
    stop2 = EarlyStopping("val_loss", patience=2)
    theirs, _ = _train_on(backend, make, lambda: mlplab.sgd(0.5), epochs=30, batch_size=4,
                          validation_split=0.3, seed=1, callbacks=[stop2])
    np.testing.assert_array_equal(stop.best_epoch, stop2.best_epoch)
    for a, b in zip(ours.params, theirs.params, strict=True):
        assert_close(a, b)


def test_a_checkpointed_run_resumes_exactly_on_the_backend(backend, tmp_path):
    from mlplab.callbacks import Checkpoint

    def run(epochs, callbacks=(), resume_from=None):
        net = _deep().to(backend)
        mlplab.fit(net, X, Y, optimizer=mlplab.adam(0.01), epochs=epochs, batch_size=5, seed=2,
                   callbacks=list(callbacks), resume_from=resume_from)
        return net

    whole = run(4)
    run(2, [Checkpoint(tmp_path / "c.npz")])
    again = run(4, resume_from=tmp_path / "c.npz")
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


@pytest.mark.parametrize("solver", ["lbfgs", "bfgs", "annealing"])
def test_solvers_convert_at_their_boundary(backend, solver):
    def make():
        return MLP([3, 4, 2], activation="tanh", seed=0)

    optimizer = (lambda: mlplab.optim.get_optimizer(solver, seed=1)) if solver == "annealing" \
        else (lambda: solver)
    _assert_same_run(backend, make, optimizer, iterations=15)


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # strict computes with NumPy
def test_divergence_is_caught_on_the_backend(backend):
    net = MLP([3, 4, 2], activation="linear", seed=0, backend=backend)
    with pytest.raises(mlplab.DivergenceError):
        mlplab.fit(net, X * 1e3, Y * 1e3, optimizer=mlplab.sgd(10.0), epochs=50)
    assert all(bool(net.xp.all(net.xp.isfinite(p))) for p in net.params)


def test_data_on_another_device_of_the_same_library_is_moved_once():
    import array_api_strict as xps

    device = xps.Device("device1")
    net = MLP([3, 4, 2], seed=0, backend=get_backend("array_api_strict", device=device))
    assert all(p.device == device for p in net.params)
    X_default = xps.asarray(X)  # the default device
    history = mlplab.fit(net, X_default, xps.asarray(Y), epochs=2, batch_size=4, seed=1,
                         validation_split=0.25)
    assert net.predict(X_default).device == device
    ours = MLP([3, 4, 2], seed=0)
    want = mlplab.fit(ours, X, Y, epochs=2, batch_size=4, seed=1, validation_split=0.25)
    assert_close(history["loss"], want["loss"])


def test_a_model_cannot_move_to_nothing():
    with pytest.raises(ValueError, match=r"'backend' parameter of MLP.to must be one of"):
        MLP([2, 1]).to(None)


@pytest.mark.parametrize("batching", [dict(batch_size=5, validation_split=0.25), dict()],
                         ids=["minibatches-split", "full-batch"])
def test_fit_with_weights_per_member_equals_numpy(backend, batching):
    weights = RNG.integers(1, 4, (2, len(X))).astype(float)
    weights[1, 1::4] = 0.0  # some rows left out of member 1, never all of a split's side
    _assert_same_run(backend, _deep, lambda: mlplab.adam(0.01), epochs=3, seed=3,
                     metrics=["mae"], sample_weight=weights, **batching)
