"""DropConnect: dropped weights, gradients with a fixed mask, populations, files, checkpoints."""

import json

import numpy as np
import pytest

import mlplab
from mlplab import Activation, Dense, DropConnect, Sequential, load, save
from mlplab.callbacks import Checkpoint
from mlplab.layers import layer_from_config

K = 3


def built(layer, population=(), seed=0):
    rng = np.random.default_rng(seed)
    layer.set_population(population)
    n_in, n_out = layer.n_in, layer.n_out
    layer.params = [rng.normal(size=(*population, n_in, n_out)),
                    rng.normal(size=(*population, n_out))][:1 + layer.bias]
    return layer


def test_training_uses_the_masked_weights_scaled_and_predict_the_plain_ones():
    layer = built(DropConnect(4, 3, 0.25))
    keep = np.random.default_rng(1).random((4, 3)) > 0.25
    layer.set_mask(keep)
    x = np.random.default_rng(2).normal(size=(5, 4))
    W, b = layer.params
    np.testing.assert_allclose(layer.forward(x, training=True), x @ (W * keep / 0.75) + b,
                               rtol=1e-14)
    np.testing.assert_allclose(layer.forward(x), x @ W + b, rtol=1e-14)


def test_each_weight_is_kept_with_probability_one_minus_rate():
    layer = built(DropConnect(300, 200, 0.3, bias=False, seed=0))
    layer.forward(np.ones((2, 300)), training=True)
    kept = layer._scaled_mask != 0
    np.testing.assert_allclose(layer._scaled_mask[kept], 1 / 0.7, rtol=1e-15)
    assert abs(kept.mean() - 0.7) < 0.005  # 60000 draws: the standard error is 0.0019


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("population", [(), (K,)], ids=["single", "population"])
def test_backward_with_a_fixed_mask_matches_finite_differences(bias, population,
                                                               numeric_gradient):
    rng = np.random.default_rng(3)
    layer = built(DropConnect(4, 3, 0.5, bias=bias), population)
    layer.set_mask(rng.random((*population, 4, 3)) > 0.5)
    x, upstream = rng.normal(size=(*population, 6, 4)), rng.normal(size=(*population, 6, 3))
    layer.forward(x, training=True)
    dx = layer.backward(upstream)

    def weighted_output(_):
        return np.sum(upstream * layer.forward(x, training=True))

    np.testing.assert_allclose(dx, numeric_gradient(weighted_output, x), rtol=1e-7, atol=1e-9)
    for grad, p in zip(layer.grads, layer.params, strict=True):
        np.testing.assert_allclose(grad, numeric_gradient(weighted_output, p),
                                   rtol=1e-7, atol=1e-9)


def test_gradient_check_of_a_model_with_a_fixed_mask_and_with_its_seed():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    fixed = DropConnect(3, 5, 0.5)
    fixed.set_mask(rng.random((3, 5)) > 0.5)
    for layer in (fixed, DropConnect(3, 5, 0.5, seed=4)):
        model = Sequential([layer, Activation("tanh"), Dense(5, 2)], seed=0)
        for check in mlplab.gradient_check(model, X, y, loss="mse"):
            assert check.relative_error < 1e-7, check


def test_population_with_one_seed_per_model_equals_separate_layers():
    seeds, rates = [4, 5, 6], np.array([0.1, 0.5, 0.8])
    population = built(DropConnect(4, 3, rates, seed=seeds), (K,))
    singles = [DropConnect(4, 3, r, seed=s) for r, s in zip(rates, seeds, strict=True)]
    for k, single in enumerate(singles):
        single.params = [p[k].copy() for p in population.params]
    x = np.random.default_rng(0).normal(size=(6, 4))  # data shared by the population
    upstream = np.random.default_rng(1).normal(size=(K, 6, 3))
    for _ in range(2):  # the second forward draws each model's second mask
        out, dx = population.forward(x, training=True), population.backward(upstream)
        for k, single in enumerate(singles):
            np.testing.assert_allclose(out[k], single.forward(x, training=True), rtol=1e-14)
            np.testing.assert_allclose(dx[k], single.backward(upstream[k]), rtol=1e-14)
            for g_pop, g_single in zip(population.grads, single.grads, strict=True):
                np.testing.assert_allclose(g_pop[k], g_single, rtol=1e-14)


def test_a_model_population_draws_one_mask_per_model():
    model = Sequential([DropConnect(2, 30, 0.5), Dense(30, 1)], seed=[0, 0])
    model.forward(np.ones((4, 2)), training=True, rngs=[[np.random.default_rng(k) for k in
                                                          (1, 2)], None])
    mask = model.layers[0]._scaled_mask
    assert mask.shape == (2, 2, 30) and not np.array_equal(mask[0], mask[1])


def test_a_checkpointed_run_resumes_exactly(tmp_path):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(12, 3)), rng.normal(size=(12, 1))

    def run(epochs, callbacks=(), resume_from=None):
        net = Sequential([DropConnect(3, 6, 0.4), Activation("tanh"), Dense(6, 1)], seed=0)
        mlplab.fit(net, X, Y, optimizer=mlplab.sgd(0.05), epochs=epochs, batch_size=4,
                   seed=3, callbacks=list(callbacks), resume_from=resume_from)
        return net

    whole = run(4)
    run(2, [Checkpoint(tmp_path / "c.npz")])
    again = run(4, resume_from=tmp_path / "c.npz")
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("layer", [DropConnect(2, 3, 0.5),
                                   DropConnect(2, 3, 0.25, bias=False, init="he_normal", seed=3),
                                   DropConnect(2, 3, [0.1, 0.2], seed=[1, 2])], ids=repr)
def test_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(json.loads(json.dumps(config)))
    assert type(rebuilt) is DropConnect
    assert rebuilt.get_config() == config and repr(rebuilt) == repr(layer)


def test_model_file_round_trip_predicts_the_same(tmp_path):
    X = np.random.default_rng(0).normal(size=(5, 2))
    net = Sequential([DropConnect(2, 4, 0.5, seed=1), Activation("relu"),
                      DropConnect(4, 1, 0.2, bias=False)], seed=[0, 1])
    save(net, tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in net.layers]
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_model_file_shapes_are_dense_shapes():
    from mlplab.io.shapes import implied_arrays

    config = Sequential([DropConnect(2, 4, 0.5), DropConnect(4, 1, 0.5, bias=False)],
                        seed=0).get_config()
    implied = implied_arrays(json.loads(json.dumps(config)))
    assert [shape for shape, _ in implied.values()] == [(2, 4), (4,), (4, 1)]


@pytest.mark.parametrize("rate", [-0.1, 1.0, np.nan, "half"])
def test_rejects_rates_outside_zero_to_one(rate):
    with pytest.raises(ValueError, match=r"'rate' parameter of DropConnect must be .*\[0, 1\)"):
        DropConnect(2, 3, rate)


def test_rejects_seeds_that_do_not_fit_the_population():
    with pytest.raises(ValueError, match=r"'seed' parameter of DropConnect.*population \(2,\)"):
        Sequential([DropConnect(2, 3, 0.5, seed=[1, 2, 3])], seed=[0, 1])


def test_onnx_export_is_a_plain_dense(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from mlplab.export import export_onnx

    X = np.random.default_rng(0).normal(size=(7, 3))
    net = Sequential([DropConnect(3, 5, 0.5, seed=0), Activation("tanh"),
                      DropConnect(5, 2, 0.3, bias=False)], seed=0)
    mlplab.fit(net, X, X[:, :2], epochs=2, batch_size=4, seed=0)
    path = export_onnx(net, tmp_path / "dc.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = session.run(["output"], {"input": X})[0]
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-12)


def test_fit_drops_weights_while_training():
    # The same start trained with and without DropConnect must part ways: fit really masks.
    import mlplab
    from mlplab.layers import Activation, Dense, DropConnect
    from mlplab.model import Sequential

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    dropped = Sequential([DropConnect(3, 4, 0.5, seed=1), Activation("tanh"), Dense(4, 1)],
                         seed=0)
    plain = Sequential([Dense(3, 4), Activation("tanh"), Dense(4, 1)], seed=0)
    np.testing.assert_array_equal(dropped.params[0], plain.params[0])
    for net in (dropped, plain):
        mlplab.fit(net, X, y, optimizer=mlplab.sgd(0.1), epochs=3, seed=2)
    assert not np.array_equal(dropped.params[0], plain.params[0])
    np.testing.assert_array_equal(dropped.predict(X).shape, plain.predict(X).shape)


def test_mlp_the_estimators_and_the_command_line_take_a_dropconnect_rate(tmp_path, capsys):
    import mlplab
    from mlplab.cli import main
    from mlplab.layers import DropConnect
    from mlplab.model import model_from_config

    net = mlplab.MLP([3, 4, 1], dropconnect=0.3, seed=0)
    assert all(isinstance(layer, DropConnect) for layer in net.layers[::2])
    again = model_from_config(net.get_config())
    assert again.get_config() == net.get_config() and again.layers[0].rate == 0.3
    assert "dropconnect" not in mlplab.MLP([3, 1]).get_config()  # old configs unchanged
    with pytest.raises(ValueError, match=r"'dropconnect' parameter of MLP"):
        mlplab.MLP([3, 1], dropconnect=1.0)
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    from mlplab.sklearn import MLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    clf = MLPClassifier(hidden_layer_sizes=(6,), dropconnect=0.25, max_iter=5,
                        random_state=0).fit(X, y)
    assert isinstance(clf.model_.layers[0], DropConnect)
    with pytest.raises(ValueError, match=r"'dropconnect' parameter of MLPClassifier"):
        MLPClassifier(dropconnect=1.5).fit(X, y)
    assert main(["train", "iris", "--epochs", "2", "--dropconnect", "0.2",
                 "--save", str(tmp_path / "m.npz")]) == 0
    assert isinstance(mlplab.load(tmp_path / "m.npz").layers[0], DropConnect)
