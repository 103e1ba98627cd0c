"""Optimizer trajectories against PyTorch's, recorded in tests/fixtures/torch_optimizers.npz.

The fixture comes from tests/fixtures/make_torch_optimizer_fixtures.py (torch
2.13.0, float64, a 3-5-2 tanh MLP under MSE: 60 full-batch steps, or for NAdam,
RAdam, Adamax, Rprop, ASGD, SGD with dampening and the maximize cases 200
steps on mini-batches of 4 rows taken in order; weight decay with maximize
for Adam, AdamW, NAdam, RAdam, Adamax, Adagrad, Adadelta). Each case's PyTorch settings
are read from the fixture and translated to mlplab's names here, so the two
sides cannot drift apart unnoticed.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.callbacks import Callback
from mlplab.optim import (
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    asgd,
    chain,
    clip_by_value,
    cosine_decay,
    exponential_decay,
    l2_penalty,
    linear_warmup,
    nadam,
    radam,
    rmsprop,
    rprop,
    scale,
    sgd,
    step_decay,
)

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "torch_optimizers.npz",
                  allow_pickle=False)
META = json.loads(str(FIXTURE["meta"]))

# Relative agreement asked of every entry; entries that pass near zero (a bias
# crossing 0, say) are held to an absolute 1e-13 instead, some 1000 times the
# rounding of the float64 sums that produce them.
RTOL, ATOL = 1e-10, 1e-13


def learning_rate(lr: float, scheduler: dict | None):
    """PyTorch's lr plus lr_scheduler as an mlplab learning rate."""
    if scheduler is None:
        return lr
    name, kw = scheduler["name"], scheduler["kwargs"]
    if name == "StepLR":
        return step_decay(lr, kw["step_size"], kw["gamma"])
    if name == "ExponentialLR":
        return exponential_decay(lr, kw["gamma"])
    if name == "CosineAnnealingLR":
        return cosine_decay(lr, kw["T_max"], final=kw["eta_min"])
    assert name == "LinearLR", name
    return linear_warmup(lr * kw["end_factor"], kw["total_iters"],
                         init=lr * kw["start_factor"])


def mlplab_optimizer(case: dict):
    """The mlplab chain that should retrace the PyTorch case step for step."""
    kw = case["kwargs"]
    lr = learning_rate(kw["lr"], case["scheduler"])
    name = case["optimizer"]
    maximize = kw.get("maximize", False)  # torch's default where the fixture predates it
    if name == "SGD":
        optimizer = sgd(lr, momentum=kw["momentum"], dampening=kw["dampening"],
                        nesterov=kw["nesterov"], weight_decay=kw["weight_decay"],
                        maximize=maximize)
    elif name == "Adagrad":
        assert kw["lr_decay"] == 0
        optimizer = adagrad(lr, eps=kw["eps"], initial_accumulator=kw["initial_accumulator_value"],
                            weight_decay=kw["weight_decay"], maximize=maximize)
    elif name == "Rprop":
        optimizer = rprop(lr, etas=kw["etas"], step_sizes=kw["step_sizes"], maximize=maximize)
    elif name == "ASGD":
        optimizer = asgd(lr, lambd=kw["lambd"], alpha_power=kw["alpha"], t0=kw["t0"],
                         weight_decay=kw["weight_decay"], maximize=maximize)
    elif name == "Adadelta":
        optimizer = adadelta(lr, rho=kw["rho"], eps=kw["eps"], weight_decay=kw["weight_decay"],
                             maximize=maximize)
    elif name == "RMSprop":
        assert kw["weight_decay"] == 0
        optimizer = rmsprop(lr, decay=kw["alpha"], eps=kw["eps"], centered=kw["centered"],
                            momentum=kw["momentum"])
    elif name == "Adam":
        assert not kw["amsgrad"]
        beta1, beta2 = kw["betas"]
        optimizer = adam(lr, beta1=beta1, beta2=beta2, eps=kw["eps"],
                         weight_decay=kw["weight_decay"], maximize=maximize)
    elif name in ("NAdam", "RAdam", "Adamax"):
        assert not kw.get("decoupled_weight_decay")
        beta1, beta2 = kw["betas"]
        extra = {"momentum_decay": kw["momentum_decay"]} if name == "NAdam" else {}
        factory = {"NAdam": nadam, "RAdam": radam, "Adamax": adamax}[name]
        optimizer = factory(lr, beta1=beta1, beta2=beta2, eps=kw["eps"],
                            weight_decay=kw["weight_decay"], maximize=maximize, **extra)
    else:
        assert name == "AdamW" and not kw["amsgrad"]
        beta1, beta2 = kw["betas"]
        optimizer = adamw(lr, beta1=beta1, beta2=beta2, eps=kw["eps"],
                          weight_decay=kw["weight_decay"], maximize=maximize)
    if case["clip_grad_value"] is not None:
        optimizer = chain(clip_by_value(case["clip_grad_value"]), optimizer)
    return optimizer


class RecordParams(Callback):
    """The flattened parameters after every step."""

    def __init__(self):
        self.steps = []

    def on_step_end(self, state):
        self.steps.append(np.concatenate([p.ravel() for p in state.params]))


def mlplab_trajectory(optimizer, steps: int, batch_size: int | None) -> np.ndarray:
    """The run of the fixture: mini-batches (if any) in order, as torch took them."""
    net = MLP(META["sizes"], activation="tanh", output_activation="linear", seed=0)
    flat, weights = FIXTURE["initial"], []
    for p in net.params:
        weights.append(flat[:p.size].reshape(p.shape))
        flat = flat[p.size:]
    net.set_weights(weights)
    record = RecordParams()
    fit(net, FIXTURE["X"], FIXTURE["y"], loss="mse", optimizer=optimizer,
        iterations=steps, batch_size=batch_size, shuffle=False, callbacks=[record])
    return np.stack(record.steps)


def test_fixture_records_its_settings():
    assert META["torch_version"].startswith("2.13.0")
    assert META["steps"] >= 50 and not META["foreach"]
    expected = {"SGD", "Adagrad", "Adadelta", "RMSprop", "Adam", "AdamW", "NAdam", "RAdam",
                "Adamax", "Rprop", "ASGD"}
    assert {case["optimizer"] for case in META["cases"].values()} == expected


@pytest.mark.parametrize("name", sorted(META["cases"]))
def test_trajectory_matches_pytorch(name):
    case = META["cases"][name]
    steps, batch_size = case.get("steps", META["steps"]), case.get("batch_size")
    assert batch_size is None or steps >= 200
    ours = mlplab_trajectory(mlplab_optimizer(case), steps, batch_size)
    theirs = FIXTURE[name]
    assert ours.shape == theirs.shape == (steps, FIXTURE["initial"].size)
    assert not np.allclose(theirs[-1], FIXTURE["initial"], atol=1e-3)  # it did move
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


def test_maximize_is_the_minimizing_run_on_the_negated_gradient():
    """maximize=True steps exactly as the same optimizer given -g."""
    rng = np.random.default_rng(5)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    for factory in (sgd, adagrad, adam, adamw, nadam, radam, adamax, rmsprop, adadelta, rprop,
                    asgd):
        up, down = factory(0.01, maximize=True), factory(0.01)
        up_state, down_state = up.init(params), down.init(params)
        for _ in range(3):
            grads = [rng.normal(size=p.shape) for p in params]
            ours, up_state = up.update(grads, up_state, params)
            theirs, down_state = down.update([-g for g in grads], down_state, params)
            assert all(np.array_equal(u, v) for u, v in zip(ours, theirs, strict=True))


@pytest.mark.parametrize("factory", [adam, nadam, radam, adamax, adagrad, adadelta])
def test_weight_decay_with_maximize_negates_the_gradient_first(factory):
    """g <- -g, then g + weight_decay * W (torch's order): not -(g + weight_decay * W)."""
    rng = np.random.default_rng(6)
    params = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    grads = [rng.normal(size=p.shape) for p in params]
    ours = factory(0.01, weight_decay=0.5, maximize=True)
    torch_order = chain(scale(-1.0), l2_penalty(0.5), factory(0.01))
    penalty_inside = chain(l2_penalty(0.5), factory(0.01, maximize=True))
    a = ours.update(grads, ours.init(params), params)[0]
    b = torch_order.update(grads, torch_order.init(params), params)[0]
    c = penalty_inside.update(grads, penalty_inside.init(params), params)[0]
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(np.allclose(u, v) for u, v in zip(a, c, strict=True))


@pytest.mark.parametrize("factory", [adam, nadam, radam, adamax, adagrad, adadelta])
def test_weight_decay_config_round_trip(factory):
    from mlplab.optim import optimizer_from_config

    assert "weight_decay" not in factory(0.01).get_config()  # older configs stay as they were
    config = factory(0.01, weight_decay=0.25, maximize=True).get_config()
    assert config["weight_decay"] == 0.25 and config["maximize"] is True
    assert optimizer_from_config(config).get_config() == config
