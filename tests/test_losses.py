"""Losses: gradients against finite differences, per model, and known values."""

import json

import numpy as np
import pytest

from mlplab.losses import (
    LOSSES,
    BinaryCrossEntropy,
    HuberLoss,
    Loss,
    SoftmaxCrossEntropy,
    get_loss,
    loss_from_config,
)

K, N, M = 3, 5, 4  # population, samples, outputs


def targets_and_outputs(name: str, shape: tuple[int, ...], seed: int = 0):
    """(out, y) of `shape` that suit the loss.

    Probabilities for binary cross-entropy, one-hot targets for softmax cross-entropy,
    and otherwise out at least 0.1 from y, away from the kink of |out - y|
    (for Huber also at least 0.2 from |out - y| = delta = 1, half inside, half out).
    """
    rng = np.random.default_rng(seed)
    if name == "huber":
        y = rng.normal(size=shape)
        size = np.where(rng.random(shape) < 0.5, rng.uniform(0.1, 0.8, shape),
                        rng.uniform(1.2, 3.0, shape))
        return y + np.where(rng.random(shape) < 0.5, -1, 1) * size, y
    if name == "binary_crossentropy":
        return rng.uniform(0.1, 0.9, size=shape), rng.integers(0, 2, size=shape).astype(float)
    if name == "softmax_crossentropy":
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
        return rng.normal(size=shape) * 2, y
    y = rng.normal(size=shape)
    return y + np.where(rng.random(shape) < 0.5, -1, 1) * rng.uniform(0.1, 1.0, shape), y


def logits_and_targets(name: str, shape: tuple[int, ...], seed: int = 0):
    """(z, y): logits and 0/1 (binary) or one-hot (softmax) targets."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=shape) * 3
    if name == "binary_crossentropy":
        return z, rng.integers(0, 2, size=shape).astype(float)
    return z, np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]


def softmax(z: np.ndarray) -> np.ndarray:
    """Written out here, independently of the library's."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_registry_holds_the_documented_losses():
    assert set(LOSSES) == {"delta", "mse", "mae", "huber", "binary_crossentropy",
                           "softmax_crossentropy"}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_finite_differences(name, numeric_gradient):
    loss = get_loss(name)
    out, y = targets_and_outputs(name, (N, M))
    numeric = numeric_gradient(lambda o: loss.value(o, y), out.copy())
    np.testing.assert_allclose(loss.gradient(out, y), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_population_gives_one_value_and_gradient_per_model(name, numeric_gradient):
    loss = get_loss(name)
    out, y = targets_and_outputs(name, (K, N, M))
    values, grad = loss.value(out, y), loss.gradient(out, y)

    assert values.shape == (K,)
    assert grad.shape == (K, N, M)
    for k in range(K):
        np.testing.assert_allclose(values[k], loss.value(out[k], y[k]), rtol=1e-14)
        np.testing.assert_allclose(grad[k], loss.gradient(out[k], y[k]), rtol=1e-14)
    # The summed value's gradient is each model's own: models do not mix.
    numeric = numeric_gradient(lambda o: np.sum(loss.value(o, y)), out.copy())
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_population_outputs_broadcast_against_shared_targets(name):
    loss = get_loss(name)
    out, _ = targets_and_outputs(name, (K, N, M))
    _, y = targets_and_outputs(name, (N, M), seed=1)
    values = loss.value(out, y)
    for k in range(K):
        np.testing.assert_allclose(values[k], loss.value(out[k], y), rtol=1e-14)


@pytest.mark.parametrize("shape", [(N, M), (K, N, M)], ids=["single", "population"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_and_gradient_equals_value_then_gradient(name, shape):
    loss = get_loss(name)
    out, y = targets_and_outputs(name, shape)
    value, grad = loss.value_and_gradient(out, y)
    np.testing.assert_allclose(value, loss.value(out, y), rtol=1e-14)
    np.testing.assert_allclose(grad, loss.gradient(out, y), rtol=1e-14)


FUSED = sorted(name for name, cls in LOSSES.items() if cls.logits_of is not None)


def test_fused_losses_are_the_two_cross_entropies():
    assert FUSED == ["binary_crossentropy", "softmax_crossentropy"]
    assert LOSSES["binary_crossentropy"].logits_of == "sigmoid"
    assert LOSSES["softmax_crossentropy"].logits_of == "softmax"


@pytest.mark.parametrize("shape", [(N, M), (K, N, M)], ids=["single", "population"])
@pytest.mark.parametrize("name", FUSED)
def test_gradient_from_logits_matches_finite_differences(name, shape, numeric_gradient):
    loss = get_loss(name)
    z, y = logits_and_targets(name, shape)
    numeric = numeric_gradient(lambda z_: np.sum(loss.value_from_logits(z_, y)), z.copy())
    np.testing.assert_allclose(loss.gradient_from_logits(z, y), numeric, rtol=1e-6, atol=1e-9)
    value, grad = loss.value_and_gradient_from_logits(z, y)
    np.testing.assert_allclose(value, loss.value_from_logits(z, y), rtol=1e-14)
    np.testing.assert_allclose(grad, loss.gradient_from_logits(z, y), rtol=1e-14)


def test_binary_crossentropy_from_logits_is_the_loss_of_the_sigmoid():
    loss = get_loss("binary_crossentropy")
    z, y = logits_and_targets("binary_crossentropy", (K, N, M))
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(loss.value_from_logits(z, y), loss.value(p, y), rtol=1e-10)
    # Chain rule through the sigmoid, whose slope is p (1 - p).
    np.testing.assert_allclose(loss.gradient_from_logits(z, y),
                               loss.gradient(p, y) * p * (1 - p), rtol=1e-8)


def test_binary_crossentropy_known_value():
    p, y = np.array([[0.8], [0.4]]), np.array([[1.0], [0.0]])
    expected = -(np.log(0.8) + np.log(0.6)) / 2
    np.testing.assert_allclose(get_loss("binary_crossentropy").value(p, y), expected)


def test_binary_crossentropy_stays_finite_at_zero_and_one():
    loss = get_loss("binary_crossentropy")
    p, y = np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])
    assert np.isfinite(loss.value(p, y))
    assert np.all(np.isfinite(loss.gradient(p, y)))
    z = np.array([[-1000.0, 1000.0, 1000.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(loss.value_from_logits(z, y), 2000 / 3)
    np.testing.assert_allclose(loss.gradient_from_logits(z, y), [[-1 / 3, 1 / 3, 0.0]])


def test_delta_is_half_the_sum_of_squares_with_the_raw_error_as_gradient():
    out = np.array([[0.5, 2.0], [1.0, -1.0], [0.0, 3.0]])
    y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    delta = get_loss("delta")
    assert delta.value(out, y) == 0.5 * (0.25 + 4 + 0 + 4 + 0 + 9)
    np.testing.assert_array_equal(delta.gradient(out, y), out - y)
    np.testing.assert_array_equal(delta.value_and_gradient(out, y)[1], out - y)
    np.testing.assert_array_equal(delta.value(np.stack([out, y]), y), [8.625, 0.0])


def test_mse_and_mae_average_over_samples_and_outputs():
    out = np.array([[0.5, 2.0], [1.0, -1.0], [0.0, 3.0]])
    y = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(get_loss("mse").value(out, y), (0.25 + 4 + 4 + 9) / 6)
    np.testing.assert_allclose(get_loss("mae").value(out, y), (0.5 + 2 + 2 + 3) / 6)
    np.testing.assert_allclose(get_loss("mse").gradient(out, y), (out - y) / 3)


def test_softmax_crossentropy_known_value():
    z = np.array([[np.log(2.0), 0.0], [0.0, 0.0]])  # softmax rows: [2/3, 1/3] and [1/2, 1/2]
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    expected = -(np.log(2 / 3) + np.log(1 / 2)) / 2
    np.testing.assert_allclose(get_loss("softmax_crossentropy").value(z, y), expected)


def test_softmax_crossentropy_is_finite_for_huge_logits():
    loss = get_loss("softmax_crossentropy")
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0], [0.0, 0.0, 0.0]])
    y = np.eye(3)[[1, 1, 2]]
    value, grad = loss.value(z, y), loss.gradient(z, y)

    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    # Row losses: 2000 (true class 1000 below the max), log 2 (tied with another), log 3.
    np.testing.assert_allclose(value, (2000 + np.log(2) + np.log(3)) / 3)
    np.testing.assert_allclose(grad, (softmax(z) - y) / 3, atol=1e-15)


def test_softmax_crossentropy_gradient_is_probabilities_minus_targets_over_samples():
    z, y = logits_and_targets("softmax_crossentropy", (K, N, M))
    grad = get_loss("softmax_crossentropy").gradient(z, y)
    np.testing.assert_allclose(grad, (softmax(z) - y) / N, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("bad", ["hinge", 3, None])
def test_unknown_loss_names_the_parameter_and_the_value(bad):
    with pytest.raises(ValueError, match=rf"'loss'.*{bad!r}"):
        get_loss(bad)


def test_aliases_and_instances():
    assert isinstance(get_loss("bce"), LOSSES["binary_crossentropy"])
    assert isinstance(get_loss("categorical_crossentropy"), LOSSES["softmax_crossentropy"])
    loss = get_loss("mse")
    assert get_loss(loss) is loss
    assert isinstance(loss, Loss)


# Losses with options: each built by name and from its class, checked like the defaults.
OPTIONS = [
    ("huber", {"delta": 0.5}),
    ("huber", {"delta": 2.0}),
    ("binary_crossentropy", {"pos_weight": 3.0}),
    ("binary_crossentropy", {"pos_weight": [0.5, 2.0, 4.0, 1.0]}),
    ("softmax_crossentropy", {"label_smoothing": 0.1}),
    ("softmax_crossentropy", {"class_weights": [0.5, 2.0, 1.0, 3.0]}),
    ("softmax_crossentropy", {"label_smoothing": 0.2, "class_weights": [1.5, 0.2, 1.0, 4.0]}),
]
OPTION_IDS = [f"{name}-{'-'.join(map(str, options))}" for name, options in OPTIONS]


def configured(name: str, options: dict):
    return LOSSES[name](**options)


@pytest.mark.parametrize(("name", "options"), OPTIONS, ids=OPTION_IDS)
def test_options_gradient_matches_finite_differences(name, options, numeric_gradient):
    loss = configured(name, options)
    out, y = targets_and_outputs(name, (N, M))
    numeric = numeric_gradient(lambda o: loss.value(o, y), out.copy())
    np.testing.assert_allclose(loss.gradient(out, y), numeric, rtol=1e-6, atol=1e-9)
    value, grad = loss.value_and_gradient(out, y)
    assert value == loss.value(out, y)
    np.testing.assert_array_equal(grad, loss.gradient(out, y))


@pytest.mark.parametrize("shape", [(N, M), (K, N, M)], ids=["single", "population"])
@pytest.mark.parametrize(("name", "options"), [o for o in OPTIONS if o[0] != "huber"],
                         ids=[i for i in OPTION_IDS if not i.startswith("huber")])
def test_options_gradient_from_logits_matches_finite_differences(name, options, shape,
                                                                  numeric_gradient):
    loss = configured(name, options)
    z, y = logits_and_targets(name, shape)
    numeric = numeric_gradient(lambda z_: np.sum(loss.value_from_logits(z_, y)), z.copy())
    # Weights up to 4 and a sum over models make the differenced value larger, and its
    # rounding (about 1e-16 * value / 1e-6) with it: atol 1e-8 rather than 1e-9.
    np.testing.assert_allclose(loss.gradient_from_logits(z, y), numeric, rtol=1e-6, atol=1e-8)
    value, grad = loss.value_and_gradient_from_logits(z, y)
    np.testing.assert_array_equal(value, loss.value_from_logits(z, y))
    np.testing.assert_array_equal(grad, loss.gradient_from_logits(z, y))


@pytest.mark.parametrize(("name", "options"), OPTIONS, ids=OPTION_IDS)
def test_options_population_members_equal_single_models_exactly(name, options):
    loss = configured(name, options)
    out, y = targets_and_outputs(name, (K, N, M))
    _, shared = targets_and_outputs(name, (N, M), seed=1)
    values, grad = loss.value(out, y), loss.gradient(out, y)
    assert values.shape == (K,) and grad.shape == (K, N, M)
    for k in range(K):
        assert values[k] == loss.value(out[k], y[k])
        np.testing.assert_array_equal(grad[k], loss.gradient(out[k], y[k]))
        assert loss.value(out, shared)[k] == loss.value(out[k], shared)
        np.testing.assert_array_equal(loss.gradient(out, shared)[k], loss.gradient(out[k], shared))
    if loss.logits_of is not None:
        z, y = logits_and_targets(name, (K, N, M))
        values, grad = loss.value_from_logits(z, y), loss.gradient_from_logits(z, y)
        for k in range(K):
            assert values[k] == loss.value_from_logits(z[k], y[k])
            np.testing.assert_array_equal(grad[k], loss.gradient_from_logits(z[k], y[k]))


@pytest.mark.parametrize(("name", "options"), OPTIONS, ids=OPTION_IDS)
def test_options_round_trip_through_config(name, options):
    loss = configured(name, options)
    config = json.loads(json.dumps(loss.get_config()))
    assert config["name"] == name
    assert all(config[key] == value for key, value in options.items())
    again = loss_from_config(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    out, y = targets_and_outputs(name, (N, M))
    assert again.value(out, y) == loss.value(out, y)
    assert repr(again) == repr(loss)


def test_defaults_by_name_and_by_class():
    assert isinstance(get_loss("huber"), HuberLoss) and get_loss("huber").delta == 1.0
    assert HuberLoss(delta=2.0).get_config() == {"name": "huber", "delta": 2.0}
    assert get_loss("bce").get_config() == {"name": "binary_crossentropy", "pos_weight": None}
    assert get_loss("crossentropy").get_config() == {
        "name": "softmax_crossentropy", "label_smoothing": 0.0, "class_weights": None}
    assert loss_from_config({"name": "huber"}).delta == 1.0  # older configs: the defaults
    assert loss_from_config({"name": "softmax_crossentropy"}).class_weights is None


def test_huber_known_values():
    out = np.array([[0.5, 3.0], [1.0, -1.0]])
    y = np.array([[1.0, 0.0], [1.0, 1.0]])  # errors -0.5, 3, 0, -2
    huber = HuberLoss(delta=1.0)
    np.testing.assert_allclose(huber.value(out, y), (0.125 + 2.5 + 0 + 1.5) / 4, rtol=1e-15)
    np.testing.assert_array_equal(huber.gradient(out, y), [[-0.125, 0.25], [0.0, -0.25]])
    # Past the largest error Huber is half the mean squared error.
    np.testing.assert_allclose(HuberLoss(delta=10.0).value(out, y),
                               get_loss("mse").value(out, y) / 2, rtol=1e-15)


def test_softmax_crossentropy_options_known_value():
    z = np.array([[np.log(2.0), 0.0], [0.0, 0.0]])  # softmax rows: [2/3, 1/3] and [1/2, 1/2]
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    w, s = np.array([2.0, 5.0]), 0.2
    t = (1 - s) * y + s / 2
    expected = -(w[0] * t[0, 0] * np.log(2 / 3) + w[1] * t[0, 1] * np.log(1 / 3)
                 + (w[0] * t[1, 0] + w[1] * t[1, 1]) * np.log(1 / 2)) / (w[0] + w[1])
    loss = SoftmaxCrossEntropy(label_smoothing=s, class_weights=w)
    np.testing.assert_allclose(loss.value(z, y), expected, rtol=1e-15)


def test_class_weights_of_one_and_no_smoothing_are_the_plain_loss():
    z, y = logits_and_targets("softmax_crossentropy", (K, N, M))
    plain, ones = get_loss("softmax_crossentropy"), SoftmaxCrossEntropy(class_weights=[1.0] * M)
    np.testing.assert_allclose(ones.value(z, y), plain.value(z, y), rtol=1e-14)
    np.testing.assert_allclose(ones.gradient(z, y), plain.gradient(z, y), rtol=1e-13,
                               atol=1e-16)
    smoothed = SoftmaxCrossEntropy(label_smoothing=0.3)
    t = 0.7 * y + 0.3 / M
    np.testing.assert_allclose(smoothed.gradient(z, y), (softmax(z) - t) / N, rtol=1e-12,
                               atol=1e-16)


@pytest.mark.parametrize("pos_weight", [3.0, [0.5, 2.0, 4.0, 1.0]])
def test_pos_weight_from_logits_is_the_loss_of_the_sigmoid(pos_weight):
    loss = BinaryCrossEntropy(pos_weight=pos_weight)
    z, y = logits_and_targets("binary_crossentropy", (K, N, M))
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(loss.value_from_logits(z, y), loss.value(p, y), rtol=1e-10)
    np.testing.assert_allclose(loss.gradient_from_logits(z, y),
                               loss.gradient(p, y) * p * (1 - p), rtol=1e-8, atol=1e-15)
    # A positive weight of w counts each positive target w times.
    w = np.broadcast_to(pos_weight, (M,))
    expected = -np.sum(w * y * np.log(p) + (1 - y) * np.log(1 - p), axis=(-2, -1)) / (N * M)
    np.testing.assert_allclose(loss.value_from_logits(z, y), expected, rtol=1e-12)


def test_pos_weight_stays_finite_for_huge_logits():
    loss = BinaryCrossEntropy(pos_weight=2.0)
    z = np.array([[-1000.0, 1000.0, 1000.0]])
    y = np.array([[1.0, 0.0, 1.0]])
    np.testing.assert_allclose(loss.value_from_logits(z, y), (2 * 1000 + 1000) / 3)
    np.testing.assert_allclose(loss.gradient_from_logits(z, y), [[-2 / 3, 1 / 3, 0.0]])


@pytest.mark.parametrize(("build", "parameter"), [
    (lambda: HuberLoss(delta=0), "delta"), (lambda: HuberLoss(delta=-1.0), "delta"),
    (lambda: HuberLoss(delta="1"), "delta"), (lambda: HuberLoss(delta=np.inf), "delta"),
    (lambda: HuberLoss(delta=True), "delta"),
    (lambda: SoftmaxCrossEntropy(label_smoothing=1.0), "label_smoothing"),
    (lambda: SoftmaxCrossEntropy(label_smoothing=-0.1), "label_smoothing"),
    (lambda: SoftmaxCrossEntropy(label_smoothing="0.1"), "label_smoothing"),
    (lambda: SoftmaxCrossEntropy(class_weights=[1.0, 0.0]), "class_weights"),
    (lambda: SoftmaxCrossEntropy(class_weights=2.0), "class_weights"),
    (lambda: SoftmaxCrossEntropy(class_weights=[[1.0, 2.0]]), "class_weights"),
    (lambda: SoftmaxCrossEntropy(class_weights=[]), "class_weights"),
    (lambda: SoftmaxCrossEntropy(class_weights="ab"), "class_weights"),
    (lambda: BinaryCrossEntropy(pos_weight=-1.0), "pos_weight"),
    (lambda: BinaryCrossEntropy(pos_weight=[1.0, np.nan]), "pos_weight"),
    (lambda: BinaryCrossEntropy(pos_weight="2"), "pos_weight"),
])
def test_bad_options_name_the_parameter(build, parameter):
    with pytest.raises(ValueError, match=rf"The '{parameter}' parameter of \w+ must be .* Got "):
        build()


def test_weights_must_match_the_outputs():
    z, y = logits_and_targets("softmax_crossentropy", (N, M))
    with pytest.raises(ValueError, match=r"'class_weights'.*one weight per output \(4\)"):
        SoftmaxCrossEntropy(class_weights=[1.0, 2.0]).value(z, y)
    with pytest.raises(ValueError, match=r"'pos_weight'.*Got 3 weights"):
        BinaryCrossEntropy(pos_weight=[1.0, 2.0, 3.0]).gradient_from_logits(z, y)


@pytest.mark.parametrize(("name", "options"), OPTIONS, ids=OPTION_IDS)
def test_options_on_array_api_strict_equal_numpy(name, options):
    xp = pytest.importorskip("array_api_strict")
    loss = configured(name, options)
    out, y = targets_and_outputs(name, (K, N, M))
    pairs = [(loss.value, loss.gradient, out)]
    if loss.logits_of is not None:
        pairs.append((loss.value_from_logits, loss.gradient_from_logits, out * 3 - 1))
    for value, gradient, a in pairs:
        for f in (value, gradient):
            got = f(xp.asarray(a), xp.asarray(y), xp=xp)
            assert type(got) is not np.ndarray
            np.testing.assert_allclose(np.asarray(got), f(a, y), rtol=1e-14, atol=1e-16)
