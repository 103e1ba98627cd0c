"""Activations: finite-difference checks of every backward, and the edge cases."""

import numpy as np
import pytest

from mlplab.activations import ACTIVATIONS, get_activation, sigmoid, softmax
from mlplab.layers import Activation

# (name, keyword arguments) for every registered activation, leaky ReLU also with slope 0.2.
CASES = [(name, {}) for name in ACTIVATIONS] + [("leaky_relu", {"slope": 0.2})]


def case_id(name: str, kwargs: dict) -> str:
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


CASE_IDS = [case_id(name, kw) for name, kw in CASES]


def away_from_kink(x: np.ndarray) -> np.ndarray:
    """x with every entry at least 0.1 from zero, where ReLU and leaky ReLU bend."""
    return np.sign(x) * (0.1 + np.abs(x))


def test_registry_holds_the_documented_activations():
    assert set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"}


@pytest.mark.parametrize("shape", [(5, 4), (3, 5, 4)], ids=["single", "population"])
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_layer_backward_matches_finite_differences(name, kwargs, shape, numeric_gradient):
    rng = np.random.default_rng(0)
    x = away_from_kink(rng.normal(size=shape))
    upstream = rng.normal(size=shape)
    layer = Activation(name, **kwargs)

    layer.forward(x.copy())
    analytic = layer.backward(upstream.copy())

    def weighted_output(x_):
        return np.sum(upstream * Activation(name, **kwargs).forward(x_))

    assert analytic.shape == shape
    np.testing.assert_allclose(analytic, numeric_gradient(weighted_output, x.copy()),
                               rtol=1e-6, atol=1e-8)


def elementwise_slope(forward, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """The slope of an elementwise function at every entry of x, by central differences."""
    return (forward(x + eps) - forward(x - eps)) / (2 * eps)


ELEMENTWISE = [(name, kw) for name, kw in CASES if ACTIVATIONS[name].derivative is not None]


@pytest.mark.parametrize(("name", "kwargs"), ELEMENTWISE,
                         ids=[case_id(name, kw) for name, kw in ELEMENTWISE])
def test_derivative_takes_what_its_takes_field_says(name, kwargs):
    fn = ACTIVATIONS[name]
    x = away_from_kink(np.random.default_rng(1).normal(size=(6, 3)) * 2)
    saved = x if fn.takes == "input" else fn.forward(x, **kwargs)

    slope = fn.derivative(saved, **kwargs)

    expected = elementwise_slope(lambda v: fn.forward(v, **kwargs), x)
    np.testing.assert_allclose(slope, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_squashing_derivatives_are_wrong_if_fed_the_input(name):
    # Guards the `takes` field itself: for these two, feeding z instead of a is silently off.
    fn = ACTIVATIONS[name]
    x = np.linspace(0.5, 3.0, 6)
    assert fn.takes == "output"
    assert not np.allclose(fn.derivative(x), elementwise_slope(fn.forward, x), atol=1e-3)


def test_derivatives_from_output_have_the_textbook_forms():
    s = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].derivative(s), s * (1 - s))
    np.testing.assert_allclose(ACTIVATIONS["tanh"].derivative(s), 1 - s**2)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].derivative(np.array([0.0, 2.0])),
                                  [0.0, 1.0])
    np.testing.assert_array_equal(
        ACTIVATIONS["leaky_relu"].derivative(np.array([-3.0, 0.0, 2.0]), slope=0.2),
        [0.2, 0.2, 1.0])


def test_derivative_does_not_modify_what_it_is_given():
    # Activation.backward multiplies the derivative's result in place: it must be a new array.
    for name, fn in ACTIVATIONS.items():
        if fn.derivative is None:
            continue
        saved = np.array([[-0.5, 0.25, 0.75]])
        result = fn.derivative(saved)
        assert not np.shares_memory(result, saved), name


def test_layer_backward_leaves_its_saved_values_alone():
    layer = Activation("sigmoid")
    out = layer.forward(np.array([[0.0, 1.0, -2.0]]))
    kept = out.copy()
    first = layer.backward(np.full((1, 3), 3.0))
    second = layer.backward(np.full((1, 3), 3.0))
    np.testing.assert_array_equal(layer.output, kept)
    np.testing.assert_array_equal(first, second)


def test_softmax_rows_sum_to_one_and_stay_finite_for_huge_inputs():
    x = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 999.0]])
    s = softmax(x)
    assert np.all(np.isfinite(s))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(s[0], [1.0, 0.0, 0.0], atol=1e-300)
    np.testing.assert_allclose(s[1], [1 / 3] * 3)
    e = np.exp([0.0, 0.0, -1.0])
    np.testing.assert_allclose(s[2], e / e.sum())


def test_softmax_works_along_the_last_axis_of_a_population():
    x = np.random.default_rng(2).normal(size=(3, 5, 4))
    s = softmax(x)
    for k in range(3):
        e = np.exp(x[k])
        np.testing.assert_allclose(s[k], e / e.sum(axis=1, keepdims=True))


def test_sigmoid_saturates_exactly():
    with np.errstate(over="ignore"):  # exp(1000) overflows to inf; 1 / inf is the right 0
        s = sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert s[0] == 0.0
    assert s[1] == 0.5
    assert s[2] == 1.0


def test_sigmoid_matches_the_tutorial_formula():
    x = np.random.default_rng(3).normal(size=(4, 3)) * 5
    np.testing.assert_array_equal(sigmoid(x.copy()), 1 / (1 + np.exp(-x)))


@pytest.mark.parametrize("name", sorted(n for n in ACTIVATIONS if n != "softmax"))
@pytest.mark.parametrize("value", [-2.0, 0.5])
def test_elementwise_activations_accept_scalars(name, value):
    forward = ACTIVATIONS[name].forward
    expected = forward(np.array([value]))[0]
    for scalar in (value, np.float64(value), np.array(value)):
        assert forward(scalar) == expected


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_population_forward_equals_each_member_forward(name):
    x = np.random.default_rng(4).normal(size=(3, 5, 4))
    together = Activation(name).forward(x)
    for k in range(3):
        np.testing.assert_array_equal(together[k], Activation(name).forward(x[k]))


def test_unknown_activation_names_the_parameter_and_the_value():
    with pytest.raises(ValueError, match=r"'activation'.*'swish'"):
        get_activation("swish")
    with pytest.raises(ValueError, match=r"'activation'.*'swish'"):
        Activation("swish")


def test_aliases_resolve_to_the_same_functions():
    assert get_activation("logistic") is ACTIVATIONS["sigmoid"]
    assert get_activation("identity") is ACTIVATIONS["linear"]
