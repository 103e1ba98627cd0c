"""Dropout: PyTorch agreement given its mask, the inverted scaling, masks per model, checks."""

import json
from pathlib import Path

import numpy as np
import pytest

import mlplab
from mlplab import MLP, Activation, Dense, Dropout, Sequential, load, save
from mlplab.cli import main
from mlplab.layers import layer_from_config

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "torch_layers.json").read_text())
K = 3


@pytest.mark.parametrize("case", FIXTURES["dropout"], ids=lambda c: f"rate={c['rate']}")
def test_forward_and_backward_match_torch_given_its_mask(case):
    layer = Dropout(case["rate"])
    layer.set_mask(np.array(case["keep"]))
    out = layer.forward(np.array(case["x"]), training=True)
    dx = layer.backward(np.array(case["upstream"]))
    np.testing.assert_allclose(out, case["output"], rtol=1e-10, atol=0)
    np.testing.assert_allclose(dx, case["grad_input"], rtol=1e-10, atol=0)


def test_training_zeroes_dropped_units_and_scales_kept_ones_by_one_over_keep_probability():
    x = np.random.default_rng(0).uniform(1, 2, size=(400, 250))
    out = Dropout(0.2, seed=1).forward(x, training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.8, rtol=1e-15)
    assert abs(kept.mean() - 0.8) < 0.005  # 100000 draws: the standard error is 0.0013


def test_predict_is_the_identity_even_with_a_fixed_mask():
    layer = Dropout(0.5, seed=0)
    layer.set_mask(np.zeros((2, 3)))
    x = np.arange(6.0).reshape(2, 3)
    assert layer.forward(x) is x
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_rate_zero_is_the_identity_while_training():
    x = np.arange(6.0).reshape(2, 3)
    layer = Dropout(0.0, seed=0)
    np.testing.assert_array_equal(layer.forward(x, training=True), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_same_seed_same_masks_and_each_forward_draws_a_new_mask():
    x = np.ones((10, 10))
    a, b, c = Dropout(0.5, seed=7), Dropout(0.5, seed=7), Dropout(0.5, seed=8)
    first = a.forward(x, training=True)
    np.testing.assert_array_equal(first, b.forward(x, training=True))
    assert not np.array_equal(first, c.forward(x, training=True))
    assert not np.array_equal(first, a.forward(x, training=True))


def test_backward_with_a_fixed_mask_matches_finite_differences(numeric_gradient):
    rng = np.random.default_rng(3)
    x, upstream = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    layer = Dropout(0.4)
    layer.set_mask(rng.random((4, 5)) > 0.4)
    layer.forward(x, training=True)
    dx = layer.backward(upstream)
    expected = numeric_gradient(lambda x: np.sum(upstream * layer.forward(x, training=True)), x)
    np.testing.assert_allclose(dx, expected, rtol=1e-7, atol=1e-9)


def test_population_with_one_seed_per_model_equals_separate_layers():
    seeds, rates = [4, 5, 6], np.array([0.1, 0.5, 0.8])
    population = Dropout(rates, seed=seeds)
    singles = [Dropout(r, seed=s) for r, s in zip(rates, seeds, strict=True)]
    x = np.random.default_rng(0).normal(size=(6, 4))  # data shared by the population
    upstream = np.random.default_rng(1).normal(size=(K, 6, 4))
    for _ in range(2):  # the second forward draws each model's second mask
        out = population.forward(x, training=True)
        dx = population.backward(upstream)
        assert out.shape == (K, 6, 4)
        for k, single in enumerate(singles):
            np.testing.assert_array_equal(out[k], single.forward(x, training=True))
            np.testing.assert_array_equal(dx[k], single.backward(upstream[k]))


def test_population_with_one_generator_gives_each_model_its_own_mask():
    layer = Dropout(0.5, seed=0)
    layer.set_population((K,))
    out = layer.forward(np.ones((20, 5)), training=True)
    assert out.shape == (K, 20, 5)
    assert not np.array_equal(out[0], out[1]) and not np.array_equal(out[1], out[2])


def test_a_model_population_gives_its_dropout_layer_one_mask_per_model():
    model = Sequential([Dense(2, 30), Dropout(0.5, seed=1), Dense(30, 1)], seed=[0, 0])
    model.forward(np.ones((4, 2)), training=True)
    mask = model.layers[1]._scaled_mask
    assert mask.shape == (2, 4, 30) and not np.array_equal(mask[0], mask[1])


def test_gradient_check_passes_with_a_fixed_mask_and_with_rate_zero():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    fixed = Dropout(0.5)
    fixed.set_mask(rng.random((6, 5)) > 0.5)
    for dropout in (fixed, Dropout(0.0)):
        model = Sequential([Dense(3, 5), Activation("tanh"), dropout, Dense(5, 2)], seed=0)
        for check in mlplab.gradient_check(model, X, y, loss="mse"):
            assert check.relative_error < 1e-7, check


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, np.nan, "half", [0.2, 1.0]])
def test_rejects_rates_outside_zero_to_one(rate):
    with pytest.raises(ValueError, match=r"'rate' parameter of Dropout must be .*\[0, 1\)"):
        Dropout(rate)


@pytest.mark.parametrize("seed", [-1, 1.5, "one", True, [], [1, -1]])
def test_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match=r"'seed' parameter of Dropout"):
        Dropout(0.5, seed=seed)


def test_rejects_per_model_values_that_do_not_fit_the_population():
    with pytest.raises(ValueError, match=r"'seed' parameter of Dropout.*one seed per rate"):
        Dropout([0.1, 0.2], seed=[1, 2, 3])
    with pytest.raises(ValueError, match=r"'seed' parameter of Dropout.*population \(2,\)"):
        Sequential([Dense(2, 3), Dropout(0.5, seed=[1, 2, 3])], seed=[0, 1])
    with pytest.raises(ValueError, match=r"'rate' parameter of Dropout.*population \(\)"):
        Sequential([Dense(2, 3), Dropout([0.1, 0.2])], seed=0)


def test_set_mask_rejects_values_other_than_zero_and_one():
    with pytest.raises(ValueError, match=r"'keep' parameter of Dropout.set_mask"):
        Dropout(0.5).set_mask(np.array([0.0, 0.5]))


@pytest.mark.parametrize("layer", [Dropout(0.5), Dropout(0.25, seed=3),
                                   Dropout([0.1, 0.2], seed=[1, 2])], ids=repr)
def test_config_round_trip(layer):
    config = layer.get_config()
    rebuilt = layer_from_config(json.loads(json.dumps(config)))
    assert type(rebuilt) is Dropout
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(layer)
    assert rebuilt.output_size(7) == 7 and layer.params == [] and layer.buffers == []


def test_a_rebuilt_seeded_layer_draws_the_same_masks():
    layer = Dropout(0.5, seed=11)
    rebuilt = layer_from_config(layer.get_config())
    x = np.ones((5, 5))
    np.testing.assert_array_equal(layer.forward(x, training=True),
                                  rebuilt.forward(x, training=True))
    assert repr(layer) == "Dropout(rate=0.5, seed=11)"


@pytest.mark.parametrize("seed", [0, [3, 4]])
def test_gradient_check_passes_with_random_masks_fixed_by_the_seed(seed):
    # No set_mask: the check rewinds the layer's streams before every pass.
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    population = [0, 1] if isinstance(seed, list) else 0
    model = Sequential([Dense(3, 5), Activation("tanh"), Dropout(0.5, seed=seed),
                        Dense(5, 2)], seed=population)
    for check in mlplab.gradient_check(model, X, y, loss="mse"):
        assert check.relative_error < 1e-7, check


def test_a_run_hands_every_member_its_own_stream_and_a_seed_repeats_them():
    from mlplab.streams import RandomStreams

    model = Sequential([Dense(2, 3), Dropout(0.5)], seed=[0, 1, 2])
    first, again = RandomStreams(model, 9), RandomStreams(model, 9)
    streams = first.per_layer[1]
    assert len(streams) == 3
    draws = [g.random(4) for g in streams]
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[2], again.per_layer[1][2].random(4))
    single = RandomStreams(Sequential([Dense(2, 3), Dropout(0.5)], seed=0), 9)
    np.testing.assert_array_equal(single.per_layer[1].random(4), draws[0])  # member 0
    assert sorted(first.generators()) == ["batches", "layer_1_0", "layer_1_1", "layer_1_2"]


def test_mlp_dropout_follows_every_hidden_activation_and_files_keep_it(tmp_path):
    net = MLP([3, 5, 4, 2], dropout=0.3, seed=0)
    kinds = [type(layer) for layer in net.layers]
    assert kinds == [Dense, Activation, Dropout, Dense, Activation, Dropout, Dense, Activation]
    assert [layer.rate for layer in net.layers if isinstance(layer, Dropout)] == [0.3, 0.3]
    assert net.get_config()["dropout"] == 0.3
    assert "dropout" not in MLP([3, 2], seed=0).get_config()  # old configs stay as they were
    save(net, tmp_path / "m.npz")
    back = load(tmp_path / "m.npz")
    assert back.get_config() == net.get_config()
    X = np.random.default_rng(0).normal(size=(6, 3))
    np.testing.assert_array_equal(back.predict(X), net.predict(X))  # predict: no dropout


@pytest.mark.parametrize("rate", [1.0, -0.1, "half"])
def test_mlp_refuses_a_dropout_rate_naming_it(rate):
    with pytest.raises(ValueError, match="'dropout' parameter of MLP"):
        MLP([3, 4, 1], dropout=rate)


def test_train_dropout_changes_training_and_is_recorded(capsys, tmp_path):
    weights = []
    for rate in ("0", "0.5"):
        model = tmp_path / f"m{rate}.npz"
        assert main(["train", "moons", "--epochs", "2", "--dropout", rate, "--save",
                     str(model)]) == 0
        weights.append(load(model).get_weights()[0])
    capsys.readouterr()
    assert not np.array_equal(*weights)
    assert load(tmp_path / "m0.5.npz").get_config()["dropout"] == 0.5
