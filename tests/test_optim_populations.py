"""A population of 3 with per-model hyperparameters equals 3 separate runs."""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.optim import (
    ParamList,
    adadelta,
    adagrad,
    adam,
    adamw,
    chain,
    clip_by_global_norm,
    clip_by_value,
    cosine_decay,
    l1_penalty,
    linear_warmup,
    rmsprop,
    sgd,
    step_decay,
)

SEEDS = [3, 1, 4]


def per_model(*values):
    return np.array(values)


# name -> (hyperparameters per model, as keyword arguments of arrays; a builder)
CASES = {
    "sgd_momentum": (dict(alpha=per_model(0.05, 0.1, 0.02), momentum=per_model(0.9, 0.5, 0.0),
                          weight_decay=per_model(0.0, 0.01, 0.1)), sgd),
    "nesterov": (dict(alpha=per_model(0.05, 0.1, 0.02), momentum=per_model(0.9, 0.5, 0.7),
                      nesterov=True), sgd),
    "adagrad": (dict(alpha=per_model(0.1, 0.05, 0.2), eps=per_model(1e-10, 1e-3, 1e-6),
                     initial_accumulator=per_model(0.0, 0.1, 1.0)), adagrad),
    "adadelta": (dict(alpha=per_model(1.0, 0.5, 2.0), rho=per_model(0.9, 0.95, 0.5),
                      eps=per_model(1e-6, 1e-4, 1e-5)), adadelta),
    "rmsprop": (dict(alpha=per_model(0.01, 0.003, 0.02), decay=per_model(0.99, 0.9, 0.5),
                     momentum=per_model(0.0, 0.5, 0.9), centered=True), rmsprop),
    "adam": (dict(alpha=per_model(0.01, 0.003, 0.02), beta1=per_model(0.9, 0.5, 0.8),
                  beta2=per_model(0.999, 0.9, 0.99), eps=per_model(1e-8, 1e-3, 1e-6)), adam),
    "adamw": (dict(alpha=per_model(0.01, 0.003, 0.02), weight_decay=per_model(0.1, 0.0, 0.5)),
              adamw),
    "schedules": (dict(alpha=[step_decay(a, 7, g) for a, g in [(0.1, 0.5), (0.2, 0.1),
                                                                (0.05, 0.9)]]), None),
}


def build(name, k):
    """Case `name`'s optimizer for model k alone (k None: the whole population)."""
    kwargs, maker = CASES[name]
    if name == "schedules":  # a per-model schedule vs each model's own
        alphas = kwargs["alpha"]
        if k is not None:
            return adam(alphas[k])
        return adam(step_decay(per_model(0.1, 0.2, 0.05), 7, per_model(0.5, 0.1, 0.9)))
    if k is not None:
        kwargs = {key: v[k] if isinstance(v, np.ndarray) else v for key, v in kwargs.items()}
    return maker(**kwargs)


def train(seed, optimizer, steps=60):
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(12, 3)), rng.normal(size=(12, 2))
    net = MLP([3, 5, 2], activation="tanh", output_activation="linear", seed=seed)
    history = fit(net, X, y, loss="mse", optimizer=optimizer, iterations=steps)
    return net, history


def assert_population_equals_separate_runs(population_optimizer, single_optimizer):
    population, pop_history = train(SEEDS, population_optimizer)
    for k, seed in enumerate(SEEDS):
        single, history = train(seed, single_optimizer(k))
        np.testing.assert_allclose(pop_history["loss"][:, k], history["loss"], rtol=1e-12)
        for p_pop, p_single in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(p_pop[k], p_single, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", sorted(CASES))
def test_population_equals_separate_runs(name):
    assert_population_equals_separate_runs(build(name, None), lambda k: build(name, k))


def test_clipping_and_penalties_per_model():
    max_norm, max_delta = per_model(0.05, 1.0, 0.2), per_model(0.01, 0.5, 0.02)
    strength = per_model(0.0, 0.01, 0.1)

    def optimizer(k=None):
        pick = (lambda v: v) if k is None else (lambda v: v[k])
        return chain(clip_by_global_norm(pick(max_norm)), clip_by_value(pick(max_delta)),
                     l1_penalty(pick(strength)), sgd(0.1, momentum=0.5))

    assert_population_equals_separate_runs(optimizer(), optimizer)


def test_warmup_then_cosine_per_model():
    peaks = per_model(0.01, 0.02, 0.005)

    def optimizer(k=None):
        peak = peaks if k is None else peaks[k]
        return adamw(linear_warmup(peak, 10, after=cosine_decay(peak, 40)))

    assert_population_equals_separate_runs(optimizer(), optimizer)


def test_per_model_hyperparameters_must_match_the_population():
    params = ParamList([np.zeros((3, 2)), np.zeros(3)], population=(3,))
    with pytest.raises(ValueError, match=r"'beta1' parameter of adam.*shape \(3,\).*\(2,\)"):
        adam(beta1=per_model(0.9, 0.5)).init(params)
    with pytest.raises(ValueError, match=r"'max_norm' parameter of clip_by_global_norm"):
        clip_by_global_norm(per_model(1.0, 2.0)).init(params)
