"""Learning-rate schedules: their values at chosen steps, worked out by hand."""

import itertools

import numpy as np
import pytest

from mlplab.optim import (
    constant_schedule,
    cosine_decay,
    exponential_decay,
    linear_warmup,
    reduce_lr_on_plateau,
    sgd,
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


# --- reduce_lr_on_plateau: torch's ReduceLROnPlateau rule, one observe per its step(metrics) ---

def test_plateau_rule_follows_a_hand_worked_sequence():
    """factor 0.5, patience 2, 10% relative threshold, cooldown 1, floor 0.2.

    10 is the first best; 9.5, 9.2, 9.1 miss 10 * 0.9 = 9, so the third bad one halves the
    rate and starts a one-observation cooldown (9.0, bad, not counted); 8.0 is a new best;
    three more bad observations halve again (0.25), then again, to the floor 0.2; after
    that the floor holds (0.2 * 0.5 < 0.2 moves it by nothing).
    """
    rate = reduce_lr_on_plateau(1.0, factor=0.5, patience=2, threshold=0.1, cooldown=1,
                                min_lr=0.2)
    values = [10.0, 9.5, 9.2, 9.1, 9.0] + [8.0] * 12
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2,
                0.2, 0.2]
    assert [rate.observe(v) for v in values] == expected
    assert rate(0) == rate(1000) == 0.2  # between observations the step count does not matter
    assert rate.get_state() == {"rate": [0.2], "best": [8.0], "num_bad_epochs": [0],
                                "cooldown_counter": [1]}


def test_plateau_in_max_mode_with_an_absolute_threshold():
    rate = reduce_lr_on_plateau(0.1, factor=0.1, patience=1, threshold=0.05, mode="max",
                                threshold_mode="abs")
    # 0.5 best; 0.54 misses 0.55 (bad 1); 0.56 beats it; 0.6 misses 0.61, 0.6 again: drop
    rates = [rate.observe(v) for v in (0.5, 0.54, 0.56, 0.6, 0.6, 0.9)]
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01, 0.01], rel=1e-15)


def test_plateau_per_model_equals_each_models_own():
    inits, factors = np.array([1.0, 0.5, 0.1]), np.array([0.5, 0.1, 0.9])
    together = reduce_lr_on_plateau(inits, factor=factors, patience=1)
    alone = [reduce_lr_on_plateau(i, factor=f, patience=1) for i, f in zip(inits, factors,
                                                                            strict=True)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        values = rng.choice([1.0, 2.0, 0.5], size=3)
        rates = together.observe(values)
        assert rates.tolist() == [a.observe(v) for a, v in zip(alone, values, strict=True)]


def test_plateau_state_and_config_carry_on_a_run():
    rate = reduce_lr_on_plateau(1.0, patience=0)
    for v in (3.0, 3.0, 2.0, 2.0):
        rate.observe(v)
    again = reduce_lr_on_plateau(**{k: v for k, v in rate.get_config().items() if k != "name"})
    again.set_state(rate.get_state())
    assert [again.observe(v) for v in (2.0, 1.0, 1.0)] == [rate.observe(v)
                                                          for v in (2.0, 1.0, 1.0)]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    (dict(init=0.0), "'init' parameter of reduce_lr_on_plateau"),
    (dict(init=0.1, factor=1.0), r"'factor' parameter of reduce_lr_on_plateau .* \(0, 1\)"),
    (dict(init=0.1, patience=-1), "'patience' parameter of reduce_lr_on_plateau"),
    (dict(init=0.1, mode="lowest"), "'mode' parameter of reduce_lr_on_plateau must be one of"),
    (dict(init=0.1, threshold_mode="pct"), "'threshold_mode' parameter of reduce_lr_on"),
    (dict(init=0.1, cooldown=1.5), "'cooldown' parameter of reduce_lr_on_plateau"),
    (dict(init=0.1, min_lr=-1.0), "'min_lr' parameter of reduce_lr_on_plateau"),
])
def test_plateau_arguments_are_checked(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        reduce_lr_on_plateau(**kwargs)


def test_plateau_observe_wants_one_value_per_model():
    rate = reduce_lr_on_plateau(np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"'value' parameter of reduce_lr_on_plateau.observe"):
        rate.observe(np.ones(3))


def test_plateau_rate_drives_an_optimizer_as_alpha():
    rate = reduce_lr_on_plateau(0.1, factor=0.5, patience=0)
    optimizer = sgd(rate)
    params = [np.zeros(2)]
    state = optimizer.init(params)
    grads = [np.array([1.0, -2.0])]
    steps = []
    for value in (1.0, 1.0, 1.0):  # the first is the best; the second is bad: 0.05 from then
        updates, state = optimizer.update(grads, state, params)
        steps.append(updates[0].tolist())
        rate.observe(value)
    assert steps == [[-0.1, 0.2], [-0.1, 0.2], [-0.05, 0.1]]
