"""Learning-rate schedules: their values at chosen steps, worked out by hand."""

import itertools

import numpy as np
import pytest

from mlplab.optim import (
    constant_schedule,
    cosine_decay,
    exponential_decay,
    linear_warmup,
    step_decay,
)


def test_step_decay_halves_every_three_steps():
    schedule = step_decay(0.8, 3, 0.5)
    assert [schedule(t) for t in range(8)] == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]


def test_exponential_decay_multiplies_every_step():
    schedule = exponential_decay(2.0, 0.5)
    assert [schedule(t) for t in range(4)] == [2.0, 1.0, 0.5, 0.25]


def test_cosine_decay_passes_the_midpoint_and_stays_at_final():
    schedule = cosine_decay(1.0, 10, final=0.2)
    assert schedule(0) == 1.0
    assert schedule(5) == pytest.approx(0.6, rel=1e-15)  # cos(pi / 2) = 0: halfway
    assert schedule(10) == pytest.approx(0.2, rel=1e-15)
    assert schedule(25) == schedule(10)
    values = [schedule(t) for t in range(11)]
    assert all(a > b for a, b in itertools.pairwise(values))


def test_linear_warmup_rises_then_hands_over():
    schedule = linear_warmup(1.0, 4, init=0.2)
    assert [schedule(t) for t in range(6)] == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0],
                                                            rel=1e-15)
    then_cosine = linear_warmup(1.0, 4, after=cosine_decay(1.0, 2))
    assert [then_cosine(t) for t in range(8)] == pytest.approx(
        [0.0, 0.25, 0.5, 0.75, 1.0, 0.5, 0.0, 0.0], rel=1e-15, abs=1e-16)


def test_constant_schedule():
    assert constant_schedule(0.3)(0) == constant_schedule(0.3)(1000) == 0.3


def test_schedules_take_one_value_per_model():
    schedule = step_decay(np.array([0.1, 1.0]), 2, np.array([0.5, 0.1]))
    np.testing.assert_allclose(schedule(4), [0.025, 0.01], rtol=1e-15)
    cosine = cosine_decay(np.array([1.0, 2.0]), 4)
    np.testing.assert_allclose(cosine(2), [0.5, 1.0], rtol=1e-15)
