"""BatchNorm: PyTorch agreement, exact gradients through the batch statistics, buffers, training."""

import json
from pathlib import Path

import numpy as np
import pytest

import mlplab
from mlplab import Activation, BatchNorm, Dense, Dropout, Sequential, fit, sgd
from mlplab.layers import layer_from_config

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "torch_layers.json").read_text())
CASES = FIXTURES["batchnorm"]
CASE_IDS = [f"n={c['n_features']},momentum={c['momentum']},affine={c['affine']},"
            f"running={c['track_running_stats']}" for c in CASES]
N_SAMPLES, N, K = 6, 4, 3


def layer_from_torch_case(case):
    layer = BatchNorm(case["n_features"], momentum=case["momentum"], eps=case["eps"],
                      affine=case["affine"], track_running_stats=case["track_running_stats"])
    layer.params = [np.array(case["weight"]), np.array(case["bias"])] if case["affine"] else []
    layer.buffers = layer.init_buffers()
    return layer


def random_layer(population=(), seed=0, n=N):
    """A BatchNorm with gamma, beta and running statistics away from their initial values."""
    rng = np.random.default_rng(seed)
    layer = BatchNorm(n)
    layer.params = [rng.normal(1, 0.5, (*population, n)), rng.normal(0, 0.5, (*population, n))]
    layer.buffers = [rng.normal(0, 1, (*population, n)), rng.uniform(0.5, 2, (*population, n))]
    return layer


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_training_forward_and_backward_match_torch(case):
    layer = layer_from_torch_case(case)
    out = layer.forward(np.array(case["batches"][0]), training=True)
    dx = layer.backward(np.array(case["upstream"]))
    np.testing.assert_allclose(out, case["output"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(dx, case["grad_input"], rtol=1e-10, atol=0)
    expected = [case["grad_weight"], case["grad_bias"]] if case["affine"] else []
    assert len(layer.grads) == len(expected)
    for grad, torch_grad in zip(layer.grads, expected, strict=True):
        np.testing.assert_allclose(grad, torch_grad, rtol=1e-10, atol=0)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_running_statistics_and_eval_forward_match_torch(case):
    layer = layer_from_torch_case(case)
    keys = ["running_mean", "running_var", "num_batches_tracked"][:len(layer.buffer_names)]
    for i, batch in enumerate(case["batches"]):
        layer.forward(np.array(batch), training=True)
        for buffer, key in zip(layer.buffers, keys, strict=True):
            np.testing.assert_allclose(buffer, case[key][i], rtol=1e-10, atol=0)
    out = layer.forward(np.array(case["eval_input"]))
    np.testing.assert_allclose(out, case["eval_output"], rtol=1e-10, atol=0)


def test_training_output_has_zero_mean_and_unit_biased_variance_per_feature():
    layer = BatchNorm(3, eps=1e-12)
    layer.params, layer.buffers = [np.ones(3), np.zeros(3)], layer.init_buffers()
    x = np.random.default_rng(0).normal([5, -2, 0], [3, 0.1, 10], size=(50, 3))
    out = layer.forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-13)
    np.testing.assert_allclose(out.var(axis=0), 1, rtol=1e-9)


def test_running_variance_takes_the_unbiased_batch_variance():
    layer = BatchNorm(1, momentum=0.5)
    layer.params, layer.buffers = [np.ones(1), np.zeros(1)], layer.init_buffers()
    layer.forward(np.array([[1.0], [3.0]]), training=True)  # mean 2, unbiased variance 2
    np.testing.assert_allclose(layer.buffers[0], [0.5 * 0 + 0.5 * 2])
    np.testing.assert_allclose(layer.buffers[1], [0.5 * 1 + 0.5 * 2])


def test_predict_normalizes_with_the_running_statistics():
    layer = random_layer()
    x = np.random.default_rng(1).normal(size=(N_SAMPLES, N))
    (gamma, beta), (mean, var) = layer.params, layer.buffers
    expected = gamma * (x - mean) / np.sqrt(var + 1e-5) + beta
    np.testing.assert_allclose(layer.forward(x), expected, rtol=1e-13)
    np.testing.assert_array_equal(layer.buffers[1], var)  # predict leaves them alone


@pytest.mark.parametrize("training", [True, False], ids=["training", "predict"])
@pytest.mark.parametrize("population", [(), (K,)], ids=["single", "population"])
def test_backward_matches_finite_differences(training, population, numeric_gradient):
    rng = np.random.default_rng(2)
    layer = random_layer(population)
    x = rng.normal(2, 3, size=(*population, N_SAMPLES, N))
    upstream = rng.normal(size=(*population, N_SAMPLES, N))
    layer.forward(x, training=training)
    dx = layer.backward(upstream)

    def weighted_output(_):
        return np.sum(upstream * layer.forward(x, training=training))

    np.testing.assert_allclose(dx, numeric_gradient(weighted_output, x), rtol=1e-6, atol=1e-8)
    for grad, p in zip(layer.grads, layer.params, strict=True):
        assert grad.shape == p.shape
        np.testing.assert_allclose(grad, numeric_gradient(weighted_output, p),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shared", [True, False], ids=["shared-input", "own-input"])
def test_population_of_three_equals_three_separate_layers(shared):
    rng = np.random.default_rng(3)
    population = random_layer((K,))
    singles = [random_layer() for _ in range(K)]
    for k, single in enumerate(singles):
        single.params = [p[k].copy() for p in population.params]
        single.buffers = [b[k].copy() for b in population.buffers]
    for _ in range(3):
        x = rng.normal(1, 2, size=(N_SAMPLES, N) if shared else (K, N_SAMPLES, N))
        upstream = rng.normal(size=(K, N_SAMPLES, N))
        out, dx = population.forward(x, training=True), population.backward(upstream)
        for k, single in enumerate(singles):
            x_k = x if shared else x[k]
            np.testing.assert_allclose(out[k], single.forward(x_k, training=True), rtol=1e-14)
            np.testing.assert_allclose(dx[k], single.backward(upstream[k]), rtol=1e-12)
            for g_pop, g_single in zip(population.grads, single.grads, strict=True):
                np.testing.assert_allclose(g_pop[k], g_single, rtol=1e-14)
    x = rng.normal(size=(N_SAMPLES, N))
    out = population.forward(x)
    for k, single in enumerate(singles):
        for b_pop, b_single in zip(population.buffers, single.buffers, strict=True):
            np.testing.assert_allclose(b_pop[k], b_single, rtol=1e-14)
        np.testing.assert_allclose(out[k], single.forward(x), rtol=1e-14)


def test_a_model_makes_gamma_beta_and_running_statistics_per_model():
    model = Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], seed=[0, 1, 2],
                       dtype="float32")
    bn = model.layers[1]
    assert bn.param_names == ("gamma", "beta")
    assert bn.buffer_names == ("running_mean", "running_var")
    np.testing.assert_array_equal(bn.params[0], np.ones((K, 4), np.float32))
    np.testing.assert_array_equal(bn.params[1], np.zeros((K, 4), np.float32))
    assert [b.dtype for b in model.buffers] == [np.float32, np.float32]
    np.testing.assert_array_equal(model.buffers[0], np.zeros((K, 4)))
    np.testing.assert_array_equal(model.buffers[1], np.ones((K, 4)))
    assert len(model.params) == 6


def test_buffers_survive_get_and_set():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(10, 2))
    source = Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], seed=0)
    source.forward(X, training=True)
    target = Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], seed=1)
    target.set_weights(source.get_weights())
    assert not np.allclose(target.predict(X), source.predict(X))
    target.set_buffers(source.get_buffers())
    np.testing.assert_array_equal(target.predict(X), source.predict(X))


def test_set_buffers_rejects_wrong_count_and_shape():
    model = Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], seed=0)
    with pytest.raises(ValueError, match=r"'buffers' parameter of set_buffers.*a list of 2"):
        model.set_buffers([np.zeros(4)])
    with pytest.raises(ValueError, match=r"'buffers\[1\]' parameter of set_buffers.*\(4,\)"):
        model.set_buffers([np.zeros(4), np.zeros(3)])


def test_gradient_check_passes_through_batch_statistics():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    model = Sequential([Dense(3, 5, bias=False), BatchNorm(5), Activation("tanh"), Dense(5, 2)],
                       seed=0)
    checks = mlplab.gradient_check(model, X, y, loss="mse")
    assert [c.name for c in checks] == ["W", "gamma", "beta", "W", "b"]
    for check in checks:
        assert check.relative_error < 1e-7, check


def test_a_bias_just_before_batchnorm_gets_no_gradient():
    # Subtracting the batch mean removes any constant shift, so the bias cannot matter.
    rng = np.random.default_rng(5)
    model = Sequential([Dense(3, 5), BatchNorm(5), Activation("tanh"), Dense(5, 2)], seed=0)
    model.forward(rng.normal(size=(8, 3)), training=True)
    grads = model.backward(rng.normal(size=(8, 2)))
    np.testing.assert_allclose(grads[1], 0, atol=1e-12)
    assert np.abs(grads[0]).max() > 1e-3


def test_a_net_with_batchnorm_and_dropout_trains():
    rng = np.random.default_rng(6)
    X = rng.normal(3, 5, size=(200, 2))  # unscaled inputs: what BatchNorm is for
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    model = Sequential([Dense(2, 32, bias=False), BatchNorm(32), Activation("relu"),
                        Dropout(0.1, seed=0), Dense(32, 1), Activation("sigmoid")], seed=0)
    history = fit(model, X, y, loss="binary_crossentropy", optimizer=sgd(0.1), epochs=60,
                  batch_size=20, seed=0)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert np.mean((model.predict(X)[:, 0] > 0.5) == y) > 0.9


def test_population_training_equals_separate_runs():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))
    seeds, dropout_seeds, alphas = [0, 1, 2], [10, 11, 12], np.array([0.01, 0.05, 0.1])

    def net(seed, dropout_seed):
        return Sequential([Dense(3, 6), BatchNorm(6), Activation("tanh"),
                           Dropout(0.2, seed=dropout_seed), Dense(6, 1)], seed=seed)

    population = net(seeds, dropout_seeds)
    history = fit(population, X, y, optimizer=sgd(alphas), epochs=5, batch_size=8, seed=0)
    for k in range(K):
        single = net(seeds[k], dropout_seeds[k])
        single_history = fit(single, X, y, optimizer=sgd(alphas[k]), epochs=5, batch_size=8,
                             seed=0)
        np.testing.assert_allclose(history["loss"][:, k], single_history["loss"], rtol=1e-12)
        for a, b in zip(population.params + population.buffers,
                        single.params + single.buffers, strict=True):
            np.testing.assert_allclose(a[k], b, rtol=1e-12, atol=1e-15)


def test_training_needs_more_than_one_sample_per_batch():
    layer = random_layer()
    with pytest.raises(ValueError, match=r"'x' parameter of BatchNorm.forward.*at least 2"):
        layer.forward(np.ones((1, N)), training=True)
    assert layer.forward(np.ones((1, N))).shape == (1, N)  # predict is fine


def test_a_model_rejects_a_batchnorm_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"'layers'.*layer 1 with n_in=5 after 4"):
        Sequential([Dense(3, 4), BatchNorm(5), Dense(5, 1)])


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_features": 0}, "n_features"),
    ({"n_features": 2.0}, "n_features"),
    ({"n_features": 2, "momentum": 1.5}, "momentum"),
    ({"n_features": 2, "momentum": -0.1}, "momentum"),
    ({"n_features": 2, "momentum": [0.1, 0.2]}, "momentum"),
    ({"n_features": 2, "eps": 0.0}, "eps"),
])
def test_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of BatchNorm"):
        BatchNorm(**kwargs)


@pytest.mark.parametrize("layer", [BatchNorm(4), BatchNorm(3, momentum=0.3, eps=1e-3)],
                         ids=repr)
def test_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(json.loads(json.dumps(config)))
    assert type(rebuilt) is BatchNorm
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(layer)
    assert rebuilt.output_size(layer.n_features) == layer.n_features


def test_repr_names_the_arguments():
    assert repr(BatchNorm(3, momentum=0.3)) == "BatchNorm(n_features=3, momentum=0.3, eps=1e-05)"


def test_model_config_round_trip_keeps_the_layers():
    model = Sequential([Dense(2, 4), BatchNorm(4), Dropout(0.5, seed=[1, 2]), Dense(4, 1)],
                       seed=[0, 1])
    rebuilt = Sequential.from_config(json.loads(json.dumps(model.get_config())))
    assert rebuilt.get_config() == model.get_config()
    assert [b.shape for b in rebuilt.buffers] == [(2, 4), (2, 4)]


OPTIONS = [{"momentum": None}, {"affine": False}, {"track_running_stats": False},
           {"momentum": None, "affine": False, "track_running_stats": False}]
OPTION_IDS = [",".join(f"{k}={v}" for k, v in o.items()) for o in OPTIONS]


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_options_decide_the_parameters_and_buffers(options):
    layer = BatchNorm(4, **options)
    affine = options.get("affine", True)
    running = options.get("track_running_stats", True)
    assert layer.param_names == (("gamma", "beta") if affine else ())
    expected = ("running_mean", "running_var") if running else ()
    if running and options.get("momentum", 0.1) is None:
        expected += ("num_batches_tracked",)
    assert layer.buffer_names == expected
    assert len(layer.init_params(None, None)) == len(layer.param_names)
    assert len(layer.init_buffers()) == len(layer.buffer_names)


@pytest.mark.parametrize("training", [True, False], ids=["training", "predict"])
@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_backward_with_options_matches_finite_differences(options, training, numeric_gradient):
    rng = np.random.default_rng(8)
    layer = Sequential([Dense(N, N), BatchNorm(N, **options)], seed=[0, 1]).layers[1]
    if layer.params:
        layer.params = [rng.normal(1, 0.5, (2, N)), rng.normal(0, 0.5, (2, N))]
    if layer.buffers:  # a few steps away from the initial statistics
        for _ in range(3):
            layer.forward(rng.normal(1, 2, size=(2, N_SAMPLES, N)), training=True)
    buffers = [b.copy() for b in layer.buffers]
    x = rng.normal(2, 3, size=(2, N_SAMPLES, N))
    upstream = rng.normal(size=(2, N_SAMPLES, N))

    def weighted_output(_):
        layer.buffers = [b.copy() for b in buffers]  # a training forward moves them
        return np.sum(upstream * layer.forward(x, training=training))

    weighted_output(None)
    dx = layer.backward(upstream)
    np.testing.assert_allclose(dx, numeric_gradient(weighted_output, x), rtol=1e-6, atol=1e-8)
    for grad, p in zip(layer.grads, layer.params, strict=True):
        np.testing.assert_allclose(grad, numeric_gradient(weighted_output, p),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_population_with_options_trains_as_separate_runs(options):
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))
    alphas = np.array([0.01, 0.05, 0.1])

    def net(seed):
        return Sequential([Dense(3, 6), BatchNorm(6, **options), Activation("tanh"),
                           Dense(6, 1)], seed=seed)

    population = net([0, 1, 2])
    history = fit(population, X, y, optimizer=sgd(alphas), epochs=3, batch_size=8, seed=0)
    for k in range(K):
        single = net(k)
        single_history = fit(single, X, y, optimizer=sgd(alphas[k]), epochs=3, batch_size=8,
                             seed=0)
        np.testing.assert_allclose(history["loss"][:, k], single_history["loss"], rtol=1e-12)
        for a, b in zip(population.params + population.buffers,
                        single.params + single.buffers, strict=True):
            np.testing.assert_allclose(a[k], b, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(population.predict(X)[k], single.predict(X), rtol=1e-12)


def test_cumulative_average_is_the_mean_of_every_batch_statistic():
    layer = BatchNorm(2, momentum=None, affine=False)
    layer.buffers = layer.init_buffers()
    batches = np.random.default_rng(10).normal(size=(5, 4, 2))
    for batch in batches:
        layer.forward(batch, training=True)
    np.testing.assert_allclose(layer.buffers[0], batches.mean(axis=1).mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(layer.buffers[1], batches.var(axis=1, ddof=1).mean(axis=0),
                               rtol=1e-13)
    assert layer.buffers[2] == 5


def test_without_running_statistics_predict_normalizes_each_batch_by_itself():
    layer = BatchNorm(3, track_running_stats=False)
    layer.params = [np.ones(3), np.zeros(3)]
    x = np.random.default_rng(11).normal(4, 2, size=(20, 3))
    np.testing.assert_allclose(layer.forward(x), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-12)
    with pytest.raises(ValueError, match=r"'x' parameter of BatchNorm.forward.*at least 2"):
        layer.forward(np.ones((1, 3)))


@pytest.mark.parametrize("options", OPTIONS, ids=OPTION_IDS)
def test_config_and_model_file_round_trip_with_options(options, tmp_path):
    layer = BatchNorm(4, eps=1e-3, **options)
    config = layer.get_config()
    rebuilt = layer_from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config and repr(rebuilt) == repr(layer)
    rng = np.random.default_rng(12)
    X, y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    net = Sequential([Dense(2, 4), BatchNorm(4, **options), Dense(4, 1)], seed=[0, 1])
    fit(net, X, y, optimizer=sgd(0.05), epochs=2, batch_size=8, seed=0)
    mlplab.save(net, tmp_path / "m.npz")
    again = mlplab.load(tmp_path / "m.npz")
    assert [b.shape for b in again.buffers] == [b.shape for b in net.buffers]
    for a, b in zip(again.params + again.buffers, net.params + net.buffers, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


@pytest.mark.parametrize("name", ["affine", "track_running_stats"])
def test_rejects_options_that_are_not_booleans(name):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of BatchNorm"):
        BatchNorm(2, **{name: 1})


def test_a_checkpointed_run_resumes_the_cumulative_averages_exactly(tmp_path):
    from mlplab.callbacks import Checkpoint

    rng = np.random.default_rng(13)
    X, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))

    def run(epochs, callbacks=(), resume_from=None):
        net = Sequential([Dense(3, 4), BatchNorm(4, momentum=None), Dense(4, 1)], seed=0)
        fit(net, X, y, optimizer=sgd(0.05), epochs=epochs, batch_size=4, seed=1,
            callbacks=list(callbacks), resume_from=resume_from)
        return net

    whole = run(4)
    run(2, [Checkpoint(tmp_path / "c.npz")])
    again = run(4, resume_from=tmp_path / "c.npz")
    assert whole.buffers[2] == 16
    for a, b in zip(whole.params + whole.buffers, again.params + again.buffers, strict=True):
        np.testing.assert_array_equal(a, b)
