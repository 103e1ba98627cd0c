"""NumPy's straight-line pass gives exactly the layers' own numbers, and reads like the math."""

import numpy as np
import pytest

from mlplab.activations import ACTIVATIONS
from mlplab.layers import Activation, BatchNorm, Dense, Dropout
from mlplab.losses import LOSSES, get_loss
from mlplab.model import MLP, Sequential
from mlplab.numpy_step import compile_gradients, gradients_source
from mlplab.objective import Objective

RNG = np.random.default_rng(3)
X = RNG.normal(size=(9, 4))


def targets(loss, n_out):
    if loss == "softmax_crossentropy":
        return np.eye(n_out)[RNG.integers(0, n_out, len(X))]
    if loss == "binary_crossentropy":
        return (RNG.random((len(X), n_out)) > 0.5).astype(float)
    return RNG.normal(size=(len(X), n_out))


def assert_same_pass(model, loss, y, sample_weights=None, batch_weights=None):
    objective = Objective(model, get_loss(loss), X, y, batch_weights)
    compiled = compile_gradients(objective)
    assert compiled is not None and objective.step_gradients is not objective.gradients
    objective.sample_weights = sample_weights
    out, value, grads = compiled(X, y)
    compiled_gradient = objective.output_gradient
    out2, value2, grads2 = objective.gradients(X, y)  # the layers' own forward and backward
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(value, value2)
    assert len(grads) == len(grads2) == len(model.params)
    for a, b in zip(grads, grads2, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    if sample_weights is not None:
        np.testing.assert_array_equal(compiled_gradient, objective.output_gradient)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_every_activation_and_loss_single_and_population(activation, loss):
    output = {"softmax_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}.get(
        loss, activation)
    for seed, dtype in ((0, "float64"), ([0, 1, 2], "float64"), (1, "float32")):
        net = MLP([4, 5, 3, 2], activation=activation, output_activation=output, seed=seed,
                  dtype=dtype)
        assert_same_pass(net, loss, targets(loss, 2).astype(dtype))


def test_no_bias_leaky_slope_an_input_activation_and_sample_weights():
    net = Sequential([Activation("tanh"), Dense(4, 6, bias=False),
                      Activation("leaky_relu", slope=0.2), Dense(6, 1)], seed=[3, 4])
    weights = RNG.random((len(X), 1))
    assert_same_pass(net, "mse", targets("mse", 1), sample_weights=weights)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_per_sample_weights_take_the_same_pass(loss):
    output = {"softmax_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}.get(loss)
    weights = RNG.integers(0, 4, len(X)).astype(float)
    for seed in (0, [0, 1]):
        net = MLP([4, 5, 2], activation="tanh", output_activation=output or "linear", seed=seed)
        assert_same_pass(net, loss, targets(loss, 2), batch_weights=weights)


def test_models_with_other_layers_use_the_layers_themselves():
    from mlplab.layers import DropConnect

    subclass = Sequential([DropConnect(4, 5, 0.5, seed=0), Activation("tanh"), Dense(5, 1)])
    objective = Objective(subclass, get_loss("mse"), X, targets("mse", 1))
    assert compile_gradients(objective) is None  # a Dense subclass computes its own way
    for layer in (Dropout(0.5, seed=0), BatchNorm(5)):
        net = Sequential([Dense(4, 5), layer, Dense(5, 1)], seed=0)
        objective = Objective(net, get_loss("mse"), X, targets("mse", 1))
        assert compile_gradients(objective) is None
        assert objective.step_gradients == objective.gradients


def test_the_source_reads_like_the_tutorial():
    net = MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", bias=False)
    source = gradients_source(net, get_loss("delta"))
    assert source.splitlines()[0] == "def gradients(x0, y, training=True):"
    assert "x1 = x0.dot(W0)" in source and "how much did we miss?" in source
    assert source.rstrip().endswith("return x4, value, [dW0, dW2]")
    with pytest.raises(ValueError, match=r"'model' parameter of gradients_source"):
        gradients_source(Sequential([Dense(3, 2), Dropout(0.5)]), get_loss("mse"))


def test_the_source_takes_a_loss_by_name_as_fit_does():
    net = MLP([3, 4, 1], activation="sigmoid", output_activation="sigmoid", bias=False)
    assert gradients_source(net, "delta") == gradients_source(net, get_loss("delta"))
    # on logits: the sigmoid is fused into the cross-entropy, so its own backward line goes
    assert gradients_source(net, "binary_crossentropy") != gradients_source(net, "delta")
    with pytest.raises(ValueError, match=r"'loss' parameter of gradients_source"):
        gradients_source(net, "hinge")
