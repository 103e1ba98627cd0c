"""Losses: gradients against finite differences, per model, and known values."""

import numpy as np
import pytest

from mlplab.losses import LOSSES, Loss, get_loss

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
