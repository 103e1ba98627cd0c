"""Every optimizer finds the minimum of a quadratic bowl and of Rosenbrock's valley.

The optimizers are driven directly (`update`, then `apply_updates`) on a
ParamList, the way `fit` drives them, with gradients written out by hand.
"""

import numpy as np
import pytest

from mlplab.optim import (
    ParamList,
    adadelta,
    adagrad,
    adam,
    adamax,
    adamw,
    apply_updates,
    asgd,
    chain,
    clip_by_global_norm,
    clip_by_value,
    cosine_decay,
    exponential_decay,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
)


def minimize(optimizer, gradient, params, steps):
    state = optimizer.init(params)
    for _ in range(steps):
        updates, state = optimizer.update(gradient(params), state, params)
        apply_updates(params, updates)
    return params


# Quadratic bowl 0.5 * sum(h * (p - target)**2) over a (2, 3) matrix and a (3,) vector,
# with curvatures h from 0.5 to 4 so that one step size does not fit every direction.
CURVATURE = [np.array([[0.5, 1.0, 2.0], [4.0, 1.5, 0.7]]), np.array([3.0, 0.5, 1.0])]
TARGET = [np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), np.array([-0.5, 2.0, 1.0])]


def quadratic_gradient(params):
    return [h * (p - t) for h, p, t in zip(CURVATURE, params, TARGET, strict=True)]


def rosenbrock_gradient(params):
    """Gradient of (1 - x)**2 + 100 (y - x**2)**2 for params [[x, y]]; minimum at (1, 1)."""
    x, y = params[0]
    return [np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])]


# (name, optimizer for the bowl, steps; optimizer for the valley, steps). The valley's
# floor is flat and its walls steep: AdaDelta and RMSprop, whose steps never shrink by
# themselves, get a decaying learning rate to settle. RAdam's first five steps are plain
# momentum steps, alpha times a gradient of some 200 on the valley's wall: its alpha is small.
CASES = [
    ("sgd", sgd(0.2), 300, sgd(1.5e-3), 10000),
    ("momentum", sgd(0.05, momentum=0.9), 400, sgd(1e-3, momentum=0.9), 5000),
    ("nesterov", sgd(0.05, momentum=0.9, nesterov=True), 300,
     sgd(1e-3, momentum=0.9, nesterov=True), 5000),
    ("adagrad", adagrad(0.5), 1000, adagrad(0.3), 10000),
    ("adadelta", adadelta(cosine_decay(5.0, 2000), rho=0.9), 2000,
     adadelta(cosine_decay(1.0, 5000), rho=0.95), 5000),
    ("rmsprop", rmsprop(exponential_decay(0.05, 0.99), decay=0.9), 1000,
     rmsprop(exponential_decay(0.01, 0.999)), 5000),
    ("adam", adam(0.05), 1000, adam(0.02), 5000),
    ("adamw", adamw(0.05, weight_decay=1e-5), 1000, adamw(0.02, weight_decay=1e-5), 5000),
    ("nadam", nadam(0.05), 1000, nadam(0.02), 5000),
    ("radam", radam(0.05), 1000, radam(2e-3), 10000),
    ("adamax", adamax(0.05), 1000, adamax(0.02), 5000),
    ("damped momentum", sgd(0.05, momentum=0.9, dampening=0.5), 600,
     sgd(1e-3, momentum=0.9, dampening=0.5), 10000),
    ("rprop", rprop(0.01), 300, rprop(0.01), 3000),
    # lambd pulls towards 0 and would hold the bowl's minimum off its target by some 1e-3
    ("asgd", asgd(0.2, lambd=0.0), 300, asgd(1.5e-3, lambd=0.0), 10000),
    ("clipped momentum", chain(clip_by_global_norm(1.0), sgd(0.05, momentum=0.9)), 400,
     chain(clip_by_global_norm(10.0), sgd(1e-3, momentum=0.9)), 5000),
    ("clipped adam", chain(clip_by_value(0.5), adam(0.05)), 1000,
     chain(clip_by_value(1.0), adam(0.02)), 5000),
]


@pytest.mark.parametrize(("name", "optimizer", "steps"), [c[:3] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_converges_on_a_quadratic(name, optimizer, steps):
    start = ParamList([np.zeros((2, 3)), np.zeros(3)])
    params = minimize(optimizer, quadratic_gradient, start, steps)
    for p, t in zip(params, TARGET, strict=True):
        np.testing.assert_allclose(p, t, atol=1e-4)


@pytest.mark.parametrize(("name", "optimizer", "steps"), [c[:1] + c[3:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_converges_on_rosenbrock(name, optimizer, steps):
    params = minimize(optimizer, rosenbrock_gradient, ParamList([np.array([-1.0, 1.5])]), steps)
    np.testing.assert_allclose(params[0], [1.0, 1.0], atol=0.02)
