"""Optimizers as data: every registry entry, chain link and schedule survives a config round trip.

config -> from_config -> config gives the same config, and the rebuilt
optimizer the same updates, bit for bit; what cannot be written down says so.
"""

import inspect
import json

import numpy as np
import pytest
from test_solvers import problem, solve

from mlplab.optim import (
    OPTIMIZERS,
    GradientTransformation,
    ParamList,
    adam,
    chain,
    clip_by_global_norm,
    cosine_decay,
    get_optimizer,
    l2_penalty,
    linear_warmup,
    optimizer_config,
    optimizer_from_config,
    sgd,
    simulated_annealing,
    step_decay,
)
from mlplab.optim.registry import LINKS, SCHEDULES

# Every entry with hyperparameters away from their defaults.
NON_DEFAULT = {
    "sgd": dict(alpha=0.3, momentum=0.5, nesterov=True, weight_decay=0.01, maximize=True),
    "momentum": dict(alpha=0.2, momentum=0.7, dampening=0.25),
    "nesterov": dict(alpha=0.2, weight_decay=0.1),
    "adagrad": dict(alpha=0.2, eps=1e-6, initial_accumulator=0.1, maximize=True),
    "adadelta": dict(alpha=0.5, rho=0.8, eps=1e-4),
    "rmsprop": dict(alpha=0.02, decay=0.9, eps=1e-6, centered=True, momentum=0.3),
    "adam": dict(alpha=step_decay(0.01, 3, 0.5), beta1=0.8, beta2=0.99, eps=1e-6, amsgrad=True,
                 maximize=True),
    "adamw": dict(alpha=0.02, beta1=0.7, beta2=0.9, eps=1e-7, weight_decay=0.2, amsgrad=True),
    "nadam": dict(alpha=cosine_decay(0.01, 5, 0.001), beta1=0.8, beta2=0.99, eps=1e-6,
                  momentum_decay=0.1),
    "radam": dict(alpha=0.02, beta1=0.7, beta2=0.9, eps=1e-7),
    "adamax": dict(alpha=0.01, beta1=0.8, beta2=0.99, eps=1e-6, maximize=True),
    "rprop": dict(alpha=0.02, etas=(0.3, 1.5), step_sizes=(1e-4, 0.5), maximize=True),
    "asgd": dict(alpha=0.02, lambd=1e-3, alpha_power=0.6, t0=2.0, weight_decay=0.01),
    "bfgs": dict(gtol=1e-9),
    "lbfgs": dict(gtol=1e-9, history_size=3),
    "annealing": dict(temperature=0.3, cooling=0.9, step_size=0.05, seed=7),
}

LINK_ARGUMENTS = {
    "chain": dict(links=[clip_by_global_norm(1.0), sgd(0.1)]),
    "scale": dict(factor=-0.5),
    "scale_by_momentum": dict(momentum=0.6, nesterov=True),
    "scale_by_adam": dict(beta1=0.5, beta2=0.9, eps=1e-4, amsgrad=True),
    "scale_by_nadam": dict(beta1=0.5, beta2=0.9, eps=1e-4, momentum_decay=0.2),
    "scale_by_radam": dict(beta1=0.5, beta2=0.9, eps=1e-4),
    "scale_by_adamax": dict(beta1=0.5, beta2=0.9, eps=1e-4),
    "scale_by_adagrad": dict(eps=1e-3, initial_accumulator=0.5),
    "scale_by_adadelta": dict(rho=0.5, eps=1e-3),
    "scale_by_rms": dict(decay=0.5, eps=1e-3, centered=True),
    "clip_by_value": dict(max_delta=0.3),
    "clip_by_global_norm": dict(max_norm=0.7, norm_type=float("inf")),
    "l1_penalty": dict(strength=0.1),
    "l2_penalty": dict(strength=0.2),
    "add_decayed_weights": dict(weight_decay=0.3),
    "scale_by_learning_rate": dict(alpha=cosine_decay(0.1, 5, 0.01)),
    "scale_by_schedule": dict(schedule=linear_warmup(0.1, 3, init=0.01,
                                                     after=step_decay(0.1, 2, 0.5))),
}

SCHEDULE_ARGUMENTS = {
    "constant_schedule": dict(value=0.2),
    "step_decay": dict(init=0.2, step_size=3, gamma=0.7),
    "exponential_decay": dict(init=0.2, gamma=0.9),
    "cosine_decay": dict(init=0.2, decay_steps=7, final=0.01),
    "reduce_lr_on_plateau": dict(init=0.2, factor=0.5, patience=3, threshold=0.01, mode="max",
                                 cooldown=2, min_lr=0.001, threshold_mode="abs", eps=1e-9),
    "linear_warmup": dict(peak=0.2, warmup_steps=4, init=0.05,
                          after=cosine_decay(0.2, 6, final=0.02)),
}


def updates_of(optimizer, steps=6):
    """Updates of a few steps on fixed random gradients, the updates applied in between."""
    rng = np.random.default_rng(3)
    params = ParamList([rng.normal(size=(3, 2)), rng.normal(size=2)])
    state = optimizer.init(params)
    trace = []
    for _ in range(steps):
        updates, state = optimizer.update([rng.normal(size=p.shape) for p in params], state,
                                          params)
        for p, u in zip(params, updates, strict=True):
            p += u
        trace.append(updates)
    return trace


def assert_same_updates(a, b):
    for step_a, step_b in zip(updates_of(a), updates_of(b), strict=True):
        for u, v in zip(step_a, step_b, strict=True):
            assert np.array_equal(u, v)


def test_every_registry_entry_has_a_round_trip_case():
    assert set(NON_DEFAULT) == set(OPTIMIZERS)
    assert set(LINK_ARGUMENTS) == set(LINKS)
    assert set(SCHEDULE_ARGUMENTS) == set(SCHEDULES)


def test_config_names_dampening_and_maximize_only_when_set():
    """A minimizing, undamped optimizer keeps the config (and checkpoints) it had before."""
    assert optimizer_config(sgd(0.1, momentum=0.9)) == {
        "name": "sgd", "alpha": 0.1, "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}
    assert optimizer_config(sgd(0.1, momentum=0.9, dampening=0.5, maximize=True)) == {
        "name": "sgd", "alpha": 0.1, "momentum": 0.9, "dampening": 0.5, "nesterov": False,
        "weight_decay": 0.0, "maximize": True}
    assert optimizer_config(adam(0.01, maximize=True))["maximize"] is True
    assert "maximize" not in optimizer_config(adam(0.01))
    assert optimizer_config(clip_by_global_norm(1.0)) == {"name": "clip_by_global_norm",
                                                          "max_norm": 1.0}
    assert optimizer_config(clip_by_global_norm(1.0, float("inf")))["norm_type"] == "inf"


@pytest.mark.parametrize("name", sorted(NON_DEFAULT))
def test_registry_entry_round_trips(name):
    optimizer = get_optimizer(name, **NON_DEFAULT[name])
    config = optimizer_config(optimizer)
    assert json.loads(json.dumps(config)) == config  # plain data
    rebuilt = optimizer_from_config(config)
    assert optimizer_config(rebuilt) == config
    if OPTIMIZERS.fact(name, "kind") == "solver":
        _, losses, params = solve(optimizer, problem(None if name != "annealing" else 0), 10)
        _, again, rebuilt_params = solve(rebuilt, problem(None if name != "annealing" else 0), 10)
        assert np.array_equal(losses, again)
        assert all(np.array_equal(p, q) for p, q in zip(params, rebuilt_params, strict=True))
    else:
        assert_same_updates(optimizer, rebuilt)


@pytest.mark.parametrize("name", sorted(LINK_ARGUMENTS))
def test_chain_link_round_trips(name):
    link = LINKS[name](**LINK_ARGUMENTS[name])
    config = optimizer_config(link)
    assert config["name"] == name
    rebuilt = optimizer_from_config(json.loads(json.dumps(config)))
    assert optimizer_config(rebuilt) == config
    assert_same_updates(link, rebuilt)


@pytest.mark.parametrize("name", sorted(SCHEDULE_ARGUMENTS))
def test_schedule_round_trips(name):
    schedule = SCHEDULES[name](**SCHEDULE_ARGUMENTS[name])
    config = schedule.get_config()
    assert config["name"] == name and optimizer_config(schedule) == config
    rebuilt = optimizer_from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    assert [rebuilt(t) for t in range(15)] == [schedule(t) for t in range(15)]


def test_configs_read_like_the_call():
    assert optimizer_config(adam(0.01, amsgrad=True)) == {
        "name": "adam", "alpha": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
        "amsgrad": True}
    optimizer = chain(clip_by_global_norm(np.array([1.0, 2.0])),
                      sgd(step_decay(np.array([0.1, 0.2]), 5), momentum=0.9))
    assert optimizer_config(optimizer) == {"name": "chain", "links": [
        {"name": "clip_by_global_norm", "max_norm": [1.0, 2.0]},
        {"name": "sgd", "alpha": {"name": "step_decay", "init": [0.1, 0.2], "step_size": 5,
                                  "gamma": 0.1},
         "momentum": 0.9, "nesterov": False, "weight_decay": 0.0}]}
    assert optimizer.get_config() == optimizer_config(optimizer)


def test_per_model_config_rebuilds_a_population_optimizer():
    optimizer = adam(np.array([0.01, 0.02, 0.03]), beta1=np.array([0.9, 0.8, 0.7]))
    rebuilt = optimizer_from_config(optimizer_config(optimizer))
    params = ParamList([np.ones((3, 2, 2)), np.ones((3, 2))], population=(3,))
    grads = [np.full((3, 2, 2), 0.5), np.full((3, 2), -1.0)]
    for u, v in zip(optimizer.update(grads, optimizer.init(params), params)[0],
                    rebuilt.update(grads, rebuilt.init(params), params)[0], strict=True):
        assert np.array_equal(u, v)


def test_get_optimizer_takes_a_config():
    config = optimizer_config(sgd(0.2, momentum=0.5))
    assert optimizer_config(get_optimizer(config)) == config
    assert optimizer_config(get_optimizer(config, alpha=0.4))["alpha"] == 0.4


def test_a_function_schedule_cannot_be_written_down():
    optimizer = sgd(lambda step: 0.1 / (1 + step))
    with pytest.raises(ValueError, match=r"The 'alpha' parameter of sgd must be plain data .* "
                                         r"to be written as config. Got the function"):
        optimizer_config(optimizer)
    warmup = linear_warmup(0.1, 5, after=lambda step: 0.1)
    with pytest.raises(ValueError, match=r"'after' parameter of linear_warmup must be plain data"):
        warmup.get_config()
    with pytest.raises(ValueError, match=r"'after' parameter of linear_warmup"):
        optimizer_config(adam(warmup))


def test_a_transformation_built_by_hand_cannot_be_written_down():
    by_hand = GradientTransformation(lambda params: (), lambda g, s, p=None: (g, s))
    with pytest.raises(ValueError, match=r"'optimizer' parameter of optimizer_config must be a "
                                         r"transformation built by an mlplab.optim factory"):
        optimizer_config(by_hand)
    with pytest.raises(ValueError, match=r"'links\[1\]' parameter of chain must be"):
        optimizer_config(chain(l2_penalty(0.1), by_hand))
    with pytest.raises(ValueError, match=r"'optimizer' parameter of optimizer_config"):
        optimizer_config(object())


def test_an_annealing_generator_cannot_be_written_down():
    with pytest.raises(ValueError, match=r"'seed' parameter of annealing must be an int, None"):
        optimizer_config(simulated_annealing(seed=np.random.default_rng(0)))
    config = optimizer_config(simulated_annealing(seed=[7, 8]))
    assert config["seed"] == [7, 8]
    assert optimizer_from_config(config).seed == [7, 8]


def test_bad_configs():
    with pytest.raises(ValueError, match=r"'config' parameter of optimizer_from_config must be "
                                         r"a config whose name is one of .*'adam'.*Got 'adamx'"):
        optimizer_from_config({"name": "adamx"})
    with pytest.raises(ValueError, match=r"'config' parameter of optimizer_from_config must be "
                                         r"a dict with a \"name\""):
        optimizer_from_config(["adam"])


def test_aliases_build_the_canonical_optimizer():
    assert optimizer_config(optimizer_from_config({"name": "l-bfgs"}))["name"] == "lbfgs"
    assert optimizer_config(get_optimizer("simulated_annealing", seed=1))["name"] == "annealing"


def test_registry_records_its_facts():
    assert OPTIMIZERS.names(kind="solver") == ["annealing", "bfgs", "lbfgs"]
    assert OPTIMIZERS.names(full_batch=False) == ["adadelta", "adagrad", "adam", "adamax",
                                                  "adamw", "asgd", "momentum", "nadam",
                                                  "nesterov", "radam", "rmsprop", "rprop",
                                                  "sgd"]
    assert OPTIMIZERS.canonical("l-bfgs") == "lbfgs"
    assert OPTIMIZERS.canonical("simulated_annealing") == "annealing"
    for name, factory in OPTIMIZERS.items():
        facts = OPTIMIZERS.facts[name]
        assert facts["full_batch"] == (facts["kind"] == "solver")
        takes = inspect.signature(factory).parameters
        assert (facts["learning_rate"] in takes) if facts["kind"] == "transformation" else (
            facts["learning_rate"] is None and "alpha" not in takes)
