"""Extending mlplab: a new activation, optimizer or random layer is one entry or one class.

Each test adds one, the way the README says to, and checks that everything else
(models, fit, gradient checks, configs, checkpoints, populations, ONNX) takes it
with no other edit.
"""

import numpy as np
import pytest

import mlplab
from mlplab.activations import ACTIVATIONS, ActivationFn
from mlplab.callbacks import Checkpoint
from mlplab.layers import Dense, Layer, layer_from_config
from mlplab.model import MLP, Sequential, model_from_config
from mlplab.optim import OPTIMIZERS, get_optimizer, optimizer_from_config
from mlplab.optim._lift import per_array
from mlplab.optim.base import EmptyState
from mlplab.optim.config import config_of
from mlplab.optim.registry import register_optimizer

RNG = np.random.default_rng(8)
X = RNG.normal(size=(16, 3))
Y = np.tanh(X[:, :1] - X[:, 1:2])


@pytest.fixture
def softplus():
    """softplus(x) = log(1 + exp(x)), slope sigmoid(x): one registry entry."""
    def forward(x, xp=np):
        return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0.0)

    def slope(x, xp=np):
        return 1.0 / (1.0 + xp.exp(-x))

    ACTIVATIONS.add("softplus", ActivationFn(forward, slope, "input"), onnx_op="Softplus",
                    init="he_uniform")
    yield "softplus"
    del ACTIVATIONS["softplus"], ACTIVATIONS.facts["softplus"]


def test_a_new_activation_is_one_registry_entry(softplus):
    net = MLP([3, 5, 1], activation=softplus, seed=0)
    assert net.init == "he_uniform"  # its entry's preference
    for check in mlplab.gradient_check(net, X, Y):
        assert check.relative_error < 1e-7
    mlplab.fit(net, X, Y, optimizer=mlplab.sgd(0.1), epochs=3)
    again = model_from_config(net.get_config())
    assert again.layers[1].name == "softplus"
    pytest.importorskip("onnx")
    from mlplab.export import to_onnx

    assert any(node.op_type == "Softplus" for node in to_onnx(net).graph.node)


@pytest.fixture
def sign_sgd():
    """signSGD (Bernstein et al., 2018): u = -alpha * sign(g), one rule and one line."""
    def rule(xp, g, alpha):
        return -alpha * xp.sign(g)

    def make(alpha=0.01):
        return per_array(rule, EmptyState, owner="sign_sgd", hyperparameters={"alpha": alpha},
                         config=config_of("sign_sgd", alpha=alpha))

    register_optimizer("sign_sgd", make)
    yield "sign_sgd"
    del OPTIMIZERS["sign_sgd"], OPTIMIZERS.facts["sign_sgd"]


def test_a_new_optimizer_is_one_rule_and_one_registration(sign_sgd):
    net = MLP([3, 4, 1], seed=0)
    before = [p.copy() for p in net.params]
    mlplab.fit(net, X, Y, optimizer=sign_sgd, epochs=1)  # by name, alpha 0.01
    assert all(np.allclose(np.abs(p - q), 0.01) for p, q in zip(net.params, before, strict=True))
    population = MLP([3, 4, 1], seed=[0, 1])
    mlplab.fit(population, X, Y, optimizer=get_optimizer(sign_sgd, alpha=np.array([0.1, 0.2])),
               epochs=2)
    config = get_optimizer(sign_sgd, alpha=0.3).get_config()
    assert optimizer_from_config(config).get_config() == config


class GaussianNoise(Layer):
    """Adds N(0, sigma^2) noise while training: a random layer is one class.

    It says it draws (``needs_rng``) and takes its stream per call; the run's
    streams, checkpoints and populations handle the rest.
    """

    needs_rng = True

    def __init__(self, sigma: float, *, seed=None) -> None:
        super().__init__()
        self.sigma, self.seed = sigma, seed

    def forward(self, x, *, training=False, rng=None):
        if not training:
            return x
        if isinstance(rng, list):
            noise = np.stack([g.standard_normal(x.shape[-2:]) for g in rng])
        else:
            noise = rng.standard_normal(x.shape)
        return x + self.backend.asarray(self.sigma * noise, dtype=x.dtype)

    def get_config(self):
        return {"type": "GaussianNoise", "sigma": self.sigma}


def noisy(seed=0):
    return Sequential([Dense(3, 6), GaussianNoise(0.1), Dense(6, 1)], seed=seed)


def test_a_new_random_layer_is_one_class(tmp_path):
    assert type(layer_from_config({"type": "GaussianNoise", "sigma": 0.2})) is GaussianNoise

    def run(epochs, callbacks=(), resume_from=None):
        net = noisy()
        mlplab.fit(net, X, Y, optimizer=mlplab.sgd(0.05), epochs=epochs, batch_size=4, seed=3,
                   callbacks=list(callbacks), resume_from=resume_from)
        return net

    whole = run(4)
    run(2, [Checkpoint(tmp_path / "c.npz")])
    again = run(4, resume_from=tmp_path / "c.npz")  # its stream came back from the file
    for a, b in zip(whole.params, again.params, strict=True):
        np.testing.assert_array_equal(a, b)
    for check in mlplab.gradient_check(noisy(), X, Y):  # its draw is fixed for the check
        assert check.relative_error < 1e-7
    members = noisy(seed=[0, 1])
    mlplab.fit(members, X, Y, optimizer=mlplab.sgd(0.05), epochs=1, seed=3)
    assert members.params[0].shape == (2, 3, 6)


def test_a_users_class_of_a_builtin_name_does_not_replace_it():
    from mlplab.layers import LAYERS

    class Dense(mlplab.Dense):  # the point: a clash of names
        pass

    assert LAYERS["Dense"] is mlplab.Dense
    assert type(layer_from_config({"type": "Dense", "n_in": 2, "n_out": 3})) is mlplab.Dense
