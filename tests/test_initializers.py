"""Initializers: the tutorials' exact numbers, the documented scales, explicit seeding."""

import numpy as np
import pytest

from mlplab.initializers import INITIALIZERS, get_initializer, rng_for, tutorial


def global_state_equal(a, b) -> bool:
    """Whether two `np.random.get_state()` tuples describe the same state."""
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


def test_tutorial_reproduces_the_tutorials_seeded_draws():
    # The tutorials run np.random.seed(1), then 2 * np.random.random(shape) - 1 per layer;
    # np.random.random is the global RandomState's random_sample.
    reference = np.random.RandomState(1)
    expected_0 = 2 * reference.random_sample((3, 4)) - 1
    expected_1 = 2 * reference.random_sample((4, 1)) - 1

    rng = rng_for(1, tutorial)
    np.testing.assert_array_equal(tutorial((3, 4), rng), expected_0)
    np.testing.assert_array_equal(tutorial((4, 1), rng), expected_1)
    # MT19937's first double for seed 1 is 0.417022004702574 (a number every NumPy user meets).
    np.testing.assert_allclose(expected_0[0, 0], 2 * 0.417022004702574 - 1, rtol=1e-14)


def test_tutorial_never_touches_the_global_random_state():
    before = np.random.get_state()
    tutorial((3, 4), rng_for(1, tutorial))
    tutorial((3, 4), rng_for(None, tutorial))
    assert global_state_equal(np.random.get_state(), before)


def test_tutorial_draws_from_a_generator_too():
    w = tutorial((50, 40), np.random.default_rng(0))
    assert w.min() >= -1
    assert w.max() < 1
    assert w.min() < -0.95
    assert w.max() > 0.95


VARIANCE = {
    "glorot": lambda fan_in, fan_out: 2 / (fan_in + fan_out),
    "he": lambda fan_in, fan_out: 2 / fan_in,
    "lecun": lambda fan_in, fan_out: 1 / fan_in,
}
SHAPE = (300, 500)


@pytest.mark.parametrize("kind", sorted(VARIANCE))
def test_uniform_initializers_fill_their_documented_limits(kind):
    variance = VARIANCE[kind](*SHAPE)
    limit = np.sqrt(3 * variance)
    w = INITIALIZERS[f"{kind}_uniform"](SHAPE, np.random.default_rng(0))

    assert w.shape == SHAPE
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.99 * limit
    np.testing.assert_allclose(w.mean(), 0.0, atol=0.01 * limit)
    np.testing.assert_allclose(w.var(), variance, rtol=0.02)


@pytest.mark.parametrize("kind", sorted(VARIANCE))
def test_normal_initializers_have_their_documented_variance(kind):
    variance = VARIANCE[kind](*SHAPE)
    w = INITIALIZERS[f"{kind}_normal"](SHAPE, np.random.default_rng(0))

    assert w.shape == SHAPE
    np.testing.assert_allclose(w.mean(), 0.0, atol=0.01 * np.sqrt(variance))
    np.testing.assert_allclose(w.var(), variance, rtol=0.02)
    # Not truncated: about 0.27% of a normal lies beyond three standard deviations.
    beyond = np.mean(np.abs(w) > 3 * np.sqrt(variance))
    assert 0.001 < beyond < 0.005


def test_fans_are_read_from_shape_in_then_out():
    # He and LeCun scale by fan_in alone, so swapping the shape must change the spread.
    narrow_in = INITIALIZERS["he_normal"]((10, 1000), np.random.default_rng(0))
    wide_in = INITIALIZERS["he_normal"]((1000, 10), np.random.default_rng(0))
    np.testing.assert_allclose(narrow_in.var(), 2 / 10, rtol=0.05)
    np.testing.assert_allclose(wide_in.var(), 2 / 1000, rtol=0.05)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_same_seed_gives_the_same_numbers(name):
    init = INITIALIZERS[name]
    first = init((4, 3), rng_for(7, init))
    np.testing.assert_array_equal(first, init((4, 3), rng_for(7, init)))
    if name != "zeros":
        assert not np.array_equal(first, init((4, 3), rng_for(8, init)))


def test_rng_for_picks_the_stream_by_initializer():
    assert isinstance(rng_for(1, tutorial), np.random.RandomState)
    assert isinstance(rng_for(1, INITIALIZERS["he_uniform"]), np.random.Generator)
    assert isinstance(rng_for(np.int64(1), tutorial), np.random.RandomState)
    given = np.random.default_rng(0)
    assert rng_for(given, tutorial) is given


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True, [1]])
def test_rng_for_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match=r"'seed' parameter of MLP must be None, an int >= 0"):
        rng_for(seed, tutorial)


def test_get_initializer_names_aliases_and_callables():
    assert get_initializer("xavier_uniform") is INITIALIZERS["glorot_uniform"]
    assert get_initializer("uniform") is tutorial
    assert get_initializer(tutorial) is tutorial
    with pytest.raises(ValueError, match=r"'init'.*'orthogonal'"):
        get_initializer("orthogonal")
