"""A population of 3 with per-model hyperparameters equals 3 separate runs.

Two levels: whole fits of an MLP population (which also go through the
model's and the loss's population arithmetic) to 1e-12, and the optimizers
alone on random gradients, where each member must equal its separate run
bit for bit.
"""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.optim import (
    ParamList,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    add_decayed_weights,
    apply_updates,
    asgd,
    chain,
    clip_by_global_norm,
    clip_by_value,
    constant_schedule,
    cosine_decay,
    exponential_decay,
    l1_penalty,
    l2_penalty,
    linear_warmup,
    nadam,
    radam,
    rmsprop,
    rprop,
    scale,
    scale_by_learning_rate,
    scale_by_momentum,
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


# --- Bit for bit: each member of a population against its own single-model run ----------------
#
# The transformations are driven directly on random gradients (no model, no loss), so the
# only arithmetic is the optimizer's: a member must reproduce its separate run exactly.

def member(values, k):
    """Member k's hyperparameters: arrays become their k-th entry (in pairs too), the rest stay."""
    def pick(v):
        if isinstance(v, tuple):
            return tuple(pick(x) for x in v)
        return v[k] if isinstance(v, np.ndarray) else v
    return {key: pick(v) for key, v in values.items()}


K = 3
ALPHA = per_model(0.05, 0.1, 0.02)
SCHEDULES = {
    "constant_schedule": lambda v: constant_schedule(v["rate"]),
    "step_decay": lambda v: step_decay(v["rate"], 3, v["gamma"]),
    "exponential_decay": lambda v: exponential_decay(v["rate"], v["gamma"]),
    "cosine_decay": lambda v: cosine_decay(v["rate"], 12, v["final"]),
    "linear_warmup": lambda v: linear_warmup(v["rate"], 5, init=v["final"],
                                             after=cosine_decay(v["rate"], 9, v["final"])),
}
SCHEDULE_VALUES = dict(rate=per_model(0.1, 0.03, 0.2), gamma=per_model(0.9, 0.5, 0.77),
                       final=per_model(0.01, 0.0, 0.003))

# name -> (per-model hyperparameters, builder taking them as a dict)
MEMBER_CASES = {
    "sgd": (dict(alpha=ALPHA), lambda v: sgd(**v)),
    "sgd_momentum_weight_decay": (dict(alpha=ALPHA, momentum=per_model(0.9, 0.5, 0.0),
                                       weight_decay=per_model(0.0, 0.01, 0.1)),
                                  lambda v: sgd(**v)),
    "nesterov": (dict(alpha=ALPHA, momentum=per_model(0.9, 0.5, 0.7)),
                 lambda v: sgd(**v, nesterov=True)),
    # momentum 0 keeps no velocity, so its dampening does nothing (as in torch)
    "sgd_dampening": (dict(alpha=ALPHA, momentum=per_model(0.9, 0.5, 0.0),
                           dampening=per_model(0.5, 0.0, 0.3)), lambda v: sgd(**v)),
    "sgd_dampening_maximize": (dict(alpha=ALPHA, momentum=per_model(0.9, 0.5, 0.7),
                                    dampening=per_model(0.1, 1.0, 0.3),
                                    weight_decay=per_model(0.0, 0.01, 0.1)),
                               lambda v: sgd(**v, maximize=True)),
    "adam_maximize": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8)),
                      lambda v: adam(**v, maximize=True)),
    # torch's L2 weight_decay after maximize's negation, one strength per model (0 included)
    **{f"{factory.__name__}_weight_decay_maximize": (
        dict(alpha=ALPHA, weight_decay=per_model(0.0, 0.01, 0.3)),
        lambda v, factory=factory: factory(**v, maximize=True))
       for factory in (adam, nadam, radam, adamax, adagrad, adadelta)},
    "rprop": (dict(alpha=ALPHA, etas=(per_model(0.5, 0.3, 0.9), per_model(1.2, 1.5, 1.01)),
                   step_sizes=(per_model(1e-6, 1e-3, 0.0), per_model(50.0, 0.2, 0.05))),
              lambda v: rprop(**v)),
    # t0 0 averages from step 2, 5 from step 7, 1e6 never within the run
    "asgd": (dict(alpha=ALPHA, lambd=per_model(1e-4, 0.1, 0.0), alpha_power=per_model(0.75, 1.0,
                                                                                        0.5),
                  t0=per_model(0.0, 5.0, 1e6), weight_decay=per_model(0.0, 0.01, 0.1)),
             lambda v: asgd(**v)),
    "asgd_maximize": (dict(alpha=ALPHA, t0=per_model(3.0, 0.0, 10.0)),
                      lambda v: asgd(**v, maximize=True)),
    "adagrad": (dict(alpha=ALPHA, eps=per_model(1e-10, 1e-3, 1e-6),
                     initial_accumulator=per_model(0.0, 0.1, 1.0)), lambda v: adagrad(**v)),
    "adadelta": (dict(alpha=per_model(1.0, 0.5, 2.0), rho=per_model(0.9, 0.95, 0.5),
                      eps=per_model(1e-6, 1e-4, 1e-5)), lambda v: adadelta(**v)),
    "rmsprop": (dict(alpha=ALPHA, decay=per_model(0.99, 0.9, 0.5),
                     eps=per_model(1e-8, 1e-3, 1e-6)), lambda v: rmsprop(**v)),
    "rmsprop_centered_momentum": (dict(alpha=ALPHA, decay=per_model(0.99, 0.9, 0.5),
                                       momentum=per_model(0.0, 0.5, 0.9)),
                                  lambda v: rmsprop(**v, centered=True)),
    "adam": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8), beta2=per_model(0.999, 0.9, 0.99),
                  eps=per_model(1e-8, 1e-3, 1e-6)), lambda v: adam(**v)),
    "amsgrad": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8),
                     beta2=per_model(0.999, 0.9, 0.99)), lambda v: adam(**v, amsgrad=True)),
    "adamw": (dict(alpha=ALPHA, beta2=per_model(0.999, 0.95, 0.9),
                   weight_decay=per_model(0.1, 0.0, 0.5)), lambda v: adamw(**v)),
    "adamw_amsgrad": (dict(alpha=ALPHA, weight_decay=per_model(0.1, 0.0, 0.5)),
                      lambda v: adamw(**v, amsgrad=True)),
    "nadam": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8), beta2=per_model(0.999, 0.9, 0.99),
                   eps=per_model(1e-8, 1e-3, 1e-6), momentum_decay=per_model(0.004, 0.0, 0.3)),
              lambda v: nadam(**v)),
    # beta2 0.6 never rectifies (rho_inf = 4), 0.9 does from step 6, 0.999 from step 6
    "radam": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8), beta2=per_model(0.999, 0.6, 0.9),
                   eps=per_model(1e-8, 1e-3, 1e-6)), lambda v: radam(**v)),
    "adamax": (dict(alpha=ALPHA, beta1=per_model(0.9, 0.5, 0.8),
                    beta2=per_model(0.999, 0.9, 0.99), eps=per_model(1e-8, 1e-3, 1e-6)),
               lambda v: adamax(**v)),
    "clip_by_value": (dict(max_delta=per_model(0.01, 0.5, 0.2)),
                      lambda v: clip_by_value(v["max_delta"])),
    "clip_by_global_norm": (dict(max_norm=per_model(0.5, 100.0, 2.0)),
                            lambda v: clip_by_global_norm(v["max_norm"])),
    "l1_penalty": (dict(strength=per_model(0.0, 0.01, 0.3)), lambda v: l1_penalty(v["strength"])),
    "l2_penalty": (dict(strength=per_model(0.0, 0.01, 0.3)), lambda v: l2_penalty(v["strength"])),
    "add_decayed_weights": (dict(weight_decay=per_model(0.1, 0.0, 0.02)),
                            lambda v: add_decayed_weights(v["weight_decay"])),
    "scale": (dict(factor=per_model(-0.1, 2.0, 0.3)), lambda v: scale(v["factor"])),
    **{f"clip_by_global_norm_{norm}": (dict(max_norm=per_model(0.5, 100.0, 2.0)),
                                        lambda v, norm=norm: clip_by_global_norm(v["max_norm"],
                                                                                 norm))
       for norm in (1, "inf")},
    "clipped_momentum_chain": (dict(max_norm=per_model(0.5, 100.0, 2.0),
                                    momentum=per_model(0.9, 0.5, 0.1)),
                               lambda v: chain(clip_by_global_norm(v["max_norm"]),
                                               scale_by_momentum(v["momentum"]),
                                               scale_by_learning_rate(0.1))),
    **{f"adam_{name}": (SCHEDULE_VALUES, lambda v, make=make: adam(make(v)))
       for name, make in SCHEDULES.items()},
}


def test_asgd_average_of_a_member_equals_its_separate_run_bit_for_bit():
    values, build = MEMBER_CASES["asgd"]
    shapes = [(K, 4, 5), (K, 5)]
    start = random_steps(shapes, 1, seed=1, dtype=np.float64)[0]
    runs = SideBySide(values, build, start, random_steps(shapes, 12, seed=2, dtype=np.float64))
    for _ in runs:
        pass
    state, states = runs.state, runs.states
    averages = state.states[-1].ax  # weight decay chains l2_penalty in front
    for k in range(K):
        single = states[k].states[-1].ax if hasattr(states[k], "states") else states[k].ax
        assert all(np.array_equal(a[k], b) for a, b in zip(averages, single, strict=True))


class SideBySide:
    """Step a population and each member's separate run on the same gradients.

    Iterating yields, per step, the population's updates and each member's
    own; afterwards ``population``, ``singles``, ``state`` and ``states`` hold
    where both runs ended.
    """

    def __init__(self, values, build, start, grads):
        self.values, self.build, self.start, self.grads = values, build, start, grads

    def __iter__(self):
        self.population = ParamList([p.copy() for p in self.start], population=(K,))
        optimizer = self.build(self.values)
        self.state = optimizer.init(self.population)
        self.singles = [ParamList([p[k].copy() for p in self.start]) for k in range(K)]
        optimizers = [self.build(member(self.values, k)) for k in range(K)]
        self.states = [o.init(p) for o, p in zip(optimizers, self.singles, strict=True)]
        for step_grads in self.grads:
            updates, self.state = optimizer.update(step_grads, self.state, self.population)
            apply_updates(self.population, updates)
            owns = []
            for k in range(K):
                own, self.states[k] = optimizers[k].update([g[k] for g in step_grads],
                                                           self.states[k], self.singles[k])
                apply_updates(self.singles[k], own)
                owns.append(own)
            yield updates, owns


def random_steps(shapes, steps, seed, dtype):
    rng = np.random.default_rng(seed)
    return [[(rng.normal(size=s) * rng.choice([0.1, 1.0, 30.0])).astype(dtype) for s in shapes]
            for _ in range(steps)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(MEMBER_CASES))
def test_member_equals_its_separate_run_bit_for_bit(name, dtype):
    values, build = MEMBER_CASES[name]
    shapes = [(K, 4, 5), (K, 5), (K, 5, 1), (K, 1)]
    start = [p.astype(dtype) for p in random_steps(shapes, 1, seed=1, dtype=np.float64)[0]]
    grads = random_steps(shapes, 20, seed=2, dtype=dtype)
    runs = SideBySide(values, build, start, grads)
    for updates, owns in runs:
        for k, own in enumerate(owns):
            for u_pop, u in zip(updates, own, strict=True):
                assert u_pop.dtype == u.dtype == dtype
                assert np.array_equal(u_pop[k], u), f"member {k} of {name} differs"
    population, singles = runs.population, runs.singles
    for k in range(K):
        for p_pop, p in zip(population, singles[k], strict=True):
            assert np.array_equal(p_pop[k], p)
