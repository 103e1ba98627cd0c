"""Layers: Dense forward/backward against finite differences, and config round trips."""

import numpy as np
import pytest

from mlplab.initializers import INITIALIZERS
from mlplab.layers import Activation, Dense, Layer, layer_from_config

N_SAMPLES, N_IN, N_OUT, K = 5, 3, 4, 3


def dense_with_params(bias: bool, population: tuple[int, ...], seed: int = 0) -> Dense:
    rng = np.random.default_rng(seed)
    layer = Dense(N_IN, N_OUT, bias=bias)
    layer.params = [rng.normal(size=(*population, N_IN, N_OUT))]
    if bias:
        layer.params.append(rng.normal(size=(*population, N_OUT)))
    return layer


POPULATIONS = [(), (K,)]
POPULATION_IDS = ["single", "population"]


@pytest.mark.parametrize("population", POPULATIONS, ids=POPULATION_IDS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_dense_forward_is_x_times_w_plus_b(bias, population):
    layer = dense_with_params(bias, population)
    x = np.random.default_rng(1).normal(size=(N_SAMPLES, N_IN))
    z = layer.forward(x)

    assert z.shape == (*population, N_SAMPLES, N_OUT)
    expected = np.einsum("na,...ab->...nb", x, layer.params[0])
    if bias:
        expected += layer.params[1][..., None, :]
    np.testing.assert_allclose(z, expected, rtol=1e-13)


@pytest.mark.parametrize("population", POPULATIONS, ids=POPULATION_IDS)
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_dense_backward_matches_finite_differences(bias, population, numeric_gradient):
    rng = np.random.default_rng(2)
    layer = dense_with_params(bias, population)
    x = rng.normal(size=(N_SAMPLES, N_IN))  # shared data, broadcast against the population
    upstream = rng.normal(size=(*population, N_SAMPLES, N_OUT))

    layer.forward(x)
    dx = layer.backward(upstream)

    def weighted_output(_):
        return np.sum(upstream * layer.forward(x))

    # Each member gets its own dx; the shared input's gradient is their sum.
    assert dx.shape == (*population, N_SAMPLES, N_IN)
    np.testing.assert_allclose(dx.reshape(-1, N_SAMPLES, N_IN).sum(axis=0),
                               numeric_gradient(weighted_output, x), rtol=1e-6, atol=1e-8)
    assert len(layer.grads) == len(layer.params) == (2 if bias else 1)
    for grad, p in zip(layer.grads, layer.params, strict=True):
        assert grad.shape == p.shape
        np.testing.assert_allclose(grad, numeric_gradient(weighted_output, p),
                                   rtol=1e-6, atol=1e-8)


def test_dense_backward_can_skip_the_input_gradient():
    layer = dense_with_params(True, ())
    layer.forward(np.ones((2, N_IN)))
    assert layer.backward(np.ones((2, N_OUT)), need_input_grad=False) is None
    np.testing.assert_array_equal(layer.grads[1], [2.0] * N_OUT)


def test_dense_population_members_equal_single_layers():
    population = dense_with_params(True, (K,))
    x = np.random.default_rng(3).normal(size=(N_SAMPLES, N_IN))
    upstream = np.random.default_rng(4).normal(size=(K, N_SAMPLES, N_OUT))
    z = population.forward(x)
    dx = population.backward(upstream)
    for k in range(K):
        single = Dense(N_IN, N_OUT)
        single.params = [p[k] for p in population.params]
        np.testing.assert_allclose(z[k], single.forward(x), rtol=1e-14)
        np.testing.assert_allclose(dx[k], single.backward(upstream[k]), rtol=1e-14)
        for g_pop, g_single in zip(population.grads, single.grads, strict=True):
            np.testing.assert_allclose(g_pop[k], g_single, rtol=1e-14)


def test_dense_init_params_shapes_and_zero_bias():
    W, b = Dense(3, 4).init_params(np.random.default_rng(0), INITIALIZERS["glorot_uniform"])
    assert W.shape == (3, 4)
    np.testing.assert_array_equal(b, np.zeros(4))
    (W,) = Dense(3, 4, bias=False).init_params(np.random.default_rng(0), INITIALIZERS["zeros"])
    assert W.shape == (3, 4)


def test_dense_own_init_overrides_the_models():
    layer = Dense(3, 4, init="zeros")
    W, _ = layer.init_params(np.random.default_rng(0), INITIALIZERS["glorot_uniform"])
    np.testing.assert_array_equal(W, np.zeros((3, 4)))


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_in": 0, "n_out": 2}, "n_in"),
    ({"n_in": 2, "n_out": 1.5}, "n_out"),
    ({"n_in": 2, "n_out": 2, "bias": "yes"}, "bias"),
    ({"n_in": 2, "n_out": 2, "init": "orthogonal"}, "init"),
])
def test_dense_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=rf"'{name}' parameter of Dense"):
        Dense(**kwargs)


@pytest.mark.parametrize("layer", [
    Dense(3, 4),
    Dense(3, 4, bias=False, init="he_normal"),
    Activation("tanh"),
    Activation("leaky_relu", slope=0.2),
], ids=repr)
def test_layer_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(config)
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(layer)


def test_rebuilt_activation_keeps_its_keyword_arguments():
    rebuilt = layer_from_config(Activation("leaky_relu", slope=0.2).get_config())
    np.testing.assert_allclose(rebuilt.forward(np.array([[-1.0, 2.0]])), [[-0.2, 2.0]])


def test_layer_from_config_rejects_unknown_types():
    with pytest.raises(ValueError, match=r"'type'.*'Conv2D'"):
        layer_from_config({"type": "Conv2D"})


def test_base_layer_is_the_identity_without_parameters():
    layer = Layer()
    x = np.arange(6.0).reshape(2, 3)
    assert layer.forward(x) is x
    assert layer.backward(x) is x
    assert layer.output_size(7) == 7
    assert layer.params == []
