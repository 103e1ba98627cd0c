"""Config as data: every registry entry, layer, loss and model round-trips through JSON."""

import json

import numpy as np
import pytest

from mlplab.activations import ACTIVATIONS
from mlplab.initializers import INITIALIZERS
from mlplab.layers import Activation, BatchNorm, Dense, Dropout, layer_from_config
from mlplab.losses import LOSSES, get_loss, loss_from_config
from mlplab.metrics import METRICS, get_metric
from mlplab.model import MLP, Sequential, model_from_config
from mlplab.registry import Registry


def round_trip(config):
    """Through JSON text and back, as a model file stores it."""
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_round_trips_as_a_layer(name):
    layer = Activation(name)
    again = layer_from_config(round_trip(layer.get_config()))
    assert again.get_config() == layer.get_config()
    assert again.fn is ACTIVATIONS[name]


@pytest.mark.parametrize("alias", sorted(ACTIVATIONS.aliases))
def test_an_alias_is_stored_under_its_canonical_name(alias):
    assert Activation(alias).get_config()["name"] == ACTIVATIONS.aliases[alias]


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_every_initializer_round_trips_in_a_dense_layer_and_a_model(name):
    dense = Dense(3, 2, init=name)
    assert layer_from_config(round_trip(dense.get_config())).get_config() == dense.get_config()
    net = MLP([3, 2, 1], init=name, seed=4)
    again = model_from_config(round_trip(net.get_config()))
    assert again.get_config() == net.get_config()
    for a, b in zip(net.params, again.params, strict=True):  # the seed came back with it
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_every_loss_round_trips(name):
    loss = get_loss(name)
    again = loss_from_config(round_trip(loss.get_config()))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_is_found_by_name_and_alias(name):
    assert get_metric(name) is METRICS[name]
    for alias, target in METRICS.aliases.items():
        assert get_metric(alias) is METRICS[target]


@pytest.mark.parametrize("layer", [
    Dense(3, 4, bias=False, init="he_normal"), BatchNorm(4, momentum=0.2, eps=1e-3),
    Dropout(0.3, seed=5), Dropout([0.1, 0.2], seed=[1, 2]), Activation("leaky_relu", slope=0.2)])
def test_layers_round_trip_with_their_options(layer):
    again = layer_from_config(round_trip(layer.get_config()))
    assert type(again) is type(layer) and again.get_config() == layer.get_config()


def test_population_seeds_come_back_as_they_were():
    net = MLP([2, 3, 1], seed=[7, 8])
    again = model_from_config(round_trip(net.get_config()))
    assert again.get_config()["seed"] == [7, 8]
    for a, b in zip(net.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)
    seq = Sequential([Dense(2, 3), Activation("tanh"), Dense(3, 1)], seed=[7, 8])
    assert model_from_config(round_trip(seq.get_config())).get_config() == seq.get_config()


def test_a_generator_seed_is_left_out_not_written_wrong():
    net = MLP([2, 3, 1], seed=[np.random.default_rng(0), np.random.default_rng(1)])
    config = net.get_config()
    assert "seed" not in config and config["population"] == [2]
    assert model_from_config(round_trip(config)).population == (2,)


def test_a_custom_initializer_cannot_be_written_into_a_config():
    def custom(shape, rng):
        return np.ones(shape)

    with pytest.raises(ValueError, match=r"'init' parameter of MLP.get_config.*your own init"):
        MLP([2, 3, 1], init=custom, seed=0).get_config()
    with pytest.raises(ValueError, match=r"'init' parameter of Dense.get_config"):
        Dense(2, 3, init=custom).get_config()


def test_a_dropout_generator_seed_cannot_be_written_into_a_config():
    with pytest.raises(ValueError, match=r"'seed' parameter of Dropout.get_config"):
        Dropout(0.5, seed=np.random.default_rng(0)).get_config()


def test_registries_map_aliases_and_keep_their_facts():
    assert ACTIVATIONS.canonical("logistic") == "sigmoid"
    assert ACTIVATIONS.fact("identity", "onnx_op") == "Identity"
    assert MLP([2, 3, 1], activation="relu").init == "he_uniform"  # the registry's preference
    assert MLP([2, 3, 1], activation="tanh").init == "glorot_uniform"
    assert LOSSES.canonical("bce") == "binary_crossentropy"
    assert "xavier_uniform" in INITIALIZERS.choices()
    with pytest.raises(ValueError, match=r"'activation' parameter of MLP must be one of"):
        MLP([2, 1], activation="swish")


def test_a_registry_refuses_a_name_twice():
    registry = Registry("thing")
    registry.add("a", 1, aliases=["b"])
    with pytest.raises(ValueError, match="registered already"):
        registry.add("b", 2)
    assert registry.names() == ["a"] and registry.choices() == ["a", "b"]


@pytest.mark.parametrize("build, config", [
    ("layer", {"type": "Dense"}), ("layer", {"type": "Dense", "n_in": 2, "n_out": 3, "x": 1}),
    ("loss", {"name": "mse", "x": 1}), ("model", {"class": "MLP"}),
    ("model", {"class": "Sequential"}), ("optimizer", {"name": "adam", "bogus": 1}),
    ("callback", {"type": "EarlyStopping", "bogus": 1})])
def test_a_config_with_options_missing_or_unknown_gets_one_clear_error(build, config):
    from mlplab.callbacks import callback_from_config
    from mlplab.optim import optimizer_from_config

    builders = {"layer": layer_from_config, "loss": loss_from_config,
                "model": model_from_config, "optimizer": optimizer_from_config,
                "callback": callback_from_config}
    with pytest.raises(ValueError, match=rf"'config' parameter of {build}_from_config must be "
                                         "a config that get_config\\(\\) wrote"):
        builders[build](config)
