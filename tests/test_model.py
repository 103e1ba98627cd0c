"""Models: backprop against finite differences, construction checks, populations, configs."""

import json

import numpy as np
import pytest

import mlplab
from mlplab.activations import ACTIVATIONS
from mlplab.layers import Activation, Dense
from mlplab.model import MLP, Sequential

X = np.random.default_rng(0).normal(size=(6, 3))


def assert_gradients_agree(model, X, y, loss):
    """Every parameter's backprop gradient agrees with finite differences.

    Biases start at zero, so a sample that silences a whole ReLU layer would put the next
    layer exactly on the kink, where no finite difference agrees; noise moves it off.
    """
    rng = np.random.default_rng(4)
    model.set_weights([w + rng.normal(scale=0.1, size=w.shape) for w in model.get_weights()])
    checks = mlplab.gradient_check(model, X, y, loss=loss)
    assert len(checks) == len(model.params)
    for check in checks:
        assert check.relative_error < 1e-6, check


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_through_each_hidden_activation(activation):
    model = MLP([3, 5, 4, 2], activation=activation, seed=0)
    y = np.random.default_rng(1).normal(size=(6, 2))
    assert_gradients_agree(model, X, y, "mse")


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_through_each_output_activation(activation):
    model = MLP([3, 5, 3], activation="tanh", output_activation=activation, seed=0)
    y = np.random.default_rng(1).normal(size=(6, 3))
    assert_gradients_agree(model, X, y, "delta")


def one_hot_rows(n: int, classes: int, seed: int) -> np.ndarray:
    return np.eye(classes)[np.random.default_rng(seed).integers(0, classes, size=n)]


# (loss, output activation, targets): sigmoid + binary and softmax + softmax cross-entropy
# are fused on the logits; the others backpropagate through the output activation.
LOSS_CASES = [
    ("delta", "linear", np.random.default_rng(1).normal(size=(6, 3))),
    ("mse", "tanh", np.random.default_rng(1).uniform(-0.9, 0.9, size=(6, 3))),
    ("mae", "linear", np.random.default_rng(1).normal(size=(6, 3)) + 5),
    ("binary_crossentropy", "sigmoid", np.random.default_rng(1).integers(0, 2, (6, 3))),
    ("binary_crossentropy", "softmax", one_hot_rows(6, 3, seed=1)),
    ("softmax_crossentropy", "softmax", one_hot_rows(6, 3, seed=1)),
    ("softmax_crossentropy", "softmax", np.array([0, 2, 1, 1, 0, 2])),  # class labels
    ("softmax_crossentropy", "linear", one_hot_rows(6, 3, seed=1)),
]


@pytest.mark.parametrize("population", [None, [1, 2]], ids=["single", "population"])
@pytest.mark.parametrize(("loss", "output", "y"), LOSS_CASES,
                         ids=[f"{loss}-{out}-{y.ndim}d" for loss, out, y in LOSS_CASES])
def test_backprop_for_each_loss(loss, output, y, population):
    model = MLP([3, 4, 3], activation="tanh", output_activation=output,
                seed=0 if population is None else population)
    assert_gradients_agree(model, X, y, loss)


def test_backprop_without_bias_and_with_leaky_slope():
    model = Sequential([Dense(3, 4, bias=False), Activation("leaky_relu", slope=0.2),
                        Dense(4, 1, bias=False), Activation("sigmoid")], seed=3)
    y = np.array([0, 1, 1, 0, 1, 0])
    assert_gradients_agree(model, X, y, "binary_crossentropy")


@pytest.mark.parametrize(("layers", "match"), [
    ([Dense(3, 4), Activation("relu"), Dense(5, 1)], r"'layers'.*n_in=5 after 4"),
    ([], r"'layers'"),
    ([Activation("relu")], r"'layers'.*at least one Dense"),
    ([Dense(3, 4), "relu"], r"'layers'"),
], ids=["unchained", "empty", "no-dense", "not-a-layer"])
def test_sequential_rejects_bad_layers(layers, match):
    with pytest.raises(ValueError, match=match):
        Sequential(layers)


@pytest.mark.parametrize("sizes", [[3], [], 3, "34", [3, 0, 1], [3, 2.5, 1]])
def test_mlp_rejects_bad_sizes(sizes):
    with pytest.raises(ValueError, match=r"'sizes' parameter of MLP"):
        MLP(sizes)


@pytest.mark.parametrize("name", ["activation", "output_activation"])
def test_mlp_rejects_unknown_activations(name):
    with pytest.raises(ValueError, match=rf"The '{name}' parameter of MLP.*'swish'"):
        MLP([3, 4, 1], **{name: "swish"})


@pytest.mark.parametrize("dtype", ["float16", "int32", "banana"])
def test_models_reject_bad_dtypes(dtype):
    with pytest.raises(ValueError, match=r"'dtype' parameter of MLP"):
        MLP([3, 4, 1], dtype=dtype)
    with pytest.raises(ValueError, match=r"'dtype' parameter of Sequential"):
        Sequential([Dense(3, 1)], dtype=dtype)


def test_dtype_may_be_a_numpy_type():
    model = MLP([3, 4, 1], dtype=np.float32, seed=0)
    assert model.dtype == "float32"
    assert all(p.dtype == np.float32 for p in model.params)
    assert model.predict(X).dtype == np.float32


@pytest.mark.parametrize("seed", [[], -1, 1.5])
def test_models_reject_bad_seeds(seed):
    with pytest.raises(ValueError, match=r"'seed' parameter of MLP"):
        MLP([3, 4, 1], seed=seed)


def test_init_auto_picks_he_for_relu_family_and_glorot_otherwise():
    assert MLP([3, 4, 1], activation="relu").init == "he_uniform"
    assert MLP([3, 4, 1], activation="leaky_relu").init == "he_uniform"
    assert MLP([3, 4, 1], activation="tanh").init == "glorot_uniform"


def round_trip(config):
    """The config through JSON, to be sure it is plain data."""
    return json.loads(json.dumps(config))


@pytest.mark.parametrize("kwargs", [
    {"sizes": [3, 5, 2], "activation": "tanh", "output_activation": "softmax", "bias": False},
    {"sizes": [3, 1], "init": "tutorial", "dtype": "float32"},
    {"sizes": [3, 4, 4, 1], "activation": "relu", "seed": [1, 2, 3]},
], ids=["softmax", "float32", "population"])
def test_mlp_config_round_trip(kwargs):
    model = MLP(**{"seed": 0, **kwargs})
    config = model.get_config()
    rebuilt = MLP.from_config(round_trip(config))

    assert type(rebuilt) is MLP
    assert rebuilt.get_config() == config
    assert [p.shape for p in rebuilt.params] == [p.shape for p in model.params]
    assert [p.dtype for p in rebuilt.params] == [p.dtype for p in model.params]
    assert rebuilt.predict(X).shape == model.predict(X).shape


def test_sequential_config_round_trip():
    model = Sequential([Dense(3, 4, init="he_normal"), Activation("leaky_relu", slope=0.2),
                        Dense(4, 2, bias=False), Activation("softmax")],
                       init="lecun_uniform", seed=[0, 1])
    config = model.get_config()
    rebuilt = Sequential.from_config(round_trip(config))

    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(model)
    assert [p.shape for p in rebuilt.params] == [p.shape for p in model.params]


def test_population_members_equal_separately_seeded_models():
    kwargs = {"activation": "tanh", "output_activation": "sigmoid"}
    population = MLP([3, 5, 4, 2], seed=[1, 2, 3], **kwargs)
    singles = [MLP([3, 5, 4, 2], seed=s, **kwargs) for s in (1, 2, 3)]

    assert population.population == (3,)
    for p, *members in zip(population.params, *(m.params for m in singles), strict=True):
        np.testing.assert_array_equal(p, np.stack(members))
    predictions = population.predict(X)
    assert predictions.shape == (3, 6, 2)
    for k, single in enumerate(singles):
        np.testing.assert_array_equal(predictions[k], single.predict(X))


def test_tutorial_init_draws_the_tutorials_weights_without_global_state():
    before = np.random.get_state()
    model = MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", bias=False,
                init="tutorial", seed=1)
    after = np.random.get_state()

    reference = np.random.RandomState(1)  # the tutorials' np.random.seed(1) stream
    np.testing.assert_array_equal(model.params[0], 2 * reference.random_sample((3, 4)) - 1)
    np.testing.assert_array_equal(model.params[1], 2 * reference.random_sample((4, 1)) - 1)
    assert np.array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_same_seed_same_model_different_seed_different_model():
    first, again, other = (MLP([3, 4, 1], seed=s) for s in (5, 5, 6))
    for a, b in zip(first.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.params[0], other.params[0])


def test_predict_matches_a_hand_written_forward_pass():
    model = MLP([3, 4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    W1, b1, W2, b2 = model.params
    expected = 1 / (1 + np.exp(-(np.tanh(X @ W1 + b1) @ W2 + b2)))
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-13)


@pytest.mark.parametrize(("bad", "match"), [
    (np.ones((4, 2)), r"'X'.*3 columns.*shape \(4, 2\)"),
    (np.array([[1.0, np.nan, 0.0]]), r"'X'.*finite.*1 non-finite"),
    (np.ones((2, 3, 1)), r"'X'.*1-D or 2-D"),
    (np.array([["a", "b", "c"]]), r"'X'.*numeric"),
], ids=["columns", "nan", "3-d", "strings"])
def test_predict_rejects_bad_inputs(bad, match):
    with pytest.raises(ValueError, match=match):
        MLP([3, 4, 1], seed=0).predict(bad)


def test_predict_reads_a_1d_input_as_one_sample_or_one_feature():
    wide = MLP([3, 4, 1], seed=0)
    np.testing.assert_array_equal(wide.predict(X[0]), wide.predict(X[:1]))
    narrow = MLP([1, 4, 1], seed=0)
    column = X[:, 0]
    np.testing.assert_array_equal(narrow.predict(column), narrow.predict(column[:, None]))


def test_weights_round_trip_in_place():
    model = MLP([3, 4, 2], seed=0)
    arrays = model.params
    weights = model.get_weights()
    weights[0] += 1.0  # a copy: the model is untouched
    assert not np.array_equal(weights[0], model.params[0])

    model.set_weights(weights)
    for p, w in zip(model.params, weights, strict=True):
        np.testing.assert_array_equal(p, w)
    assert all(p is a for p, a in zip(model.params, arrays, strict=True))


def test_set_weights_changes_predictions_like_a_fresh_model():
    source, target = MLP([3, 4, 2], seed=0), MLP([3, 4, 2], seed=1)
    target.set_weights(source.get_weights())
    np.testing.assert_array_equal(target.predict(X), source.predict(X))


def test_set_weights_rejects_wrong_count_and_shape():
    model = MLP([3, 4, 2], seed=0)
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"'weights'.*4 arrays.*3 arrays"):
        model.set_weights(weights[:3])
    weights[1] = np.zeros(5)
    with pytest.raises(ValueError, match=r"'weights\[1\]'.*\(4,\).*\(5,\)"):
        model.set_weights(weights)


def test_pickling_a_trained_model_leaves_out_the_last_batch():
    import pickle

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 20))
    net = MLP([20, 32, 2], output_activation="softmax", seed=0)
    mlplab.fit(net, X, (X[:, 0] > 0).astype(int), loss="softmax_crossentropy", epochs=1)
    blob = pickle.dumps(net)
    assert len(blob) < 4 * sum(p.nbytes for p in net.params) + 20000
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_a_model_trained_after_unpickling_trains_like_the_original():
    import pickle

    X, y = np.random.default_rng(0).normal(size=(8, 3)), np.random.default_rng(1).normal(size=8)
    net = MLP([3, 4, 1], seed=0)
    mlplab.fit(net, X, y, epochs=2)
    copy = pickle.loads(pickle.dumps(net))
    mlplab.fit(net, X, y, epochs=3)
    mlplab.fit(copy, X, y, epochs=3)
    for a, b in zip(net.params, copy.params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_models_with_a_named_initializer_per_layer_pickle_and_an_input_activation_trains():
    import pickle

    net = mlplab.Sequential([mlplab.Dense(3, 4, init="he_uniform"), mlplab.Activation("tanh"),
                             mlplab.Dense(4, 1)], seed=[0, 1])
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_array_equal(again.params[0], net.params[0])
    first = mlplab.Sequential([mlplab.Activation("tanh"), mlplab.Dense(3, 1)], seed=[0, 1])
    mlplab.fit(first, np.ones((4, 3)), np.ones(4), epochs=2)  # no gradient for the data
