"""Per-sample weights in the losses and in `fit`: integer weights equal repeated rows."""

import numpy as np
import pytest

from mlplab import MLP, fit
from mlplab.losses import (
    LOSSES,
    BinaryCrossEntropy,
    HuberLoss,
    Loss,
    SoftmaxCrossEntropy,
    get_loss,
    weighted_value_and_gradient,
)
from mlplab.objective import Objective
from mlplab.sampling import AdaptiveSampling

RNG = np.random.default_rng(11)
N, K = 7, 3
REPEATS = np.array([2, 1, 3, 1, 0, 1, 1])  # row 4 dropped, rows 0 and 2 repeated

# Every registered loss, and the options that change how samples are weighed.
LOSS_CASES = [*(get_loss(name) for name in sorted(LOSSES)), HuberLoss(0.3),
              BinaryCrossEntropy(pos_weight=[2.0, 0.5, 1.0]),
              SoftmaxCrossEntropy(label_smoothing=0.1, class_weights=[1.0, 3.0, 0.5])]
IDS = [repr(loss) for loss in LOSS_CASES]
# (loss, from logits): every loss on its outputs, and the fused ones on logits too.
FORMS = [(loss, logits) for loss in LOSS_CASES for logits in (False, True)
         if not logits or loss.logits_of is not None]
FORM_IDS = [f"{loss!r}-{'logits' if logits else 'outputs'}" for loss, logits in FORMS]


def case(loss, *, logits=False, population=()):
    """Outputs (probabilities for BCE on probabilities, else any reals) and targets."""
    out = RNG.normal(size=(*population, N, K))
    if isinstance(loss, SoftmaxCrossEntropy):
        return out, np.eye(K)[RNG.integers(0, K, N)]
    if isinstance(loss, BinaryCrossEntropy):
        y = (RNG.random((N, K)) > 0.5).astype(float)
        return (out if logits else 1 / (1 + np.exp(-out))), y
    return out, RNG.normal(size=(N, K))


def value_and_gradient(loss, out, y, logits):
    if logits:
        return loss.value_and_gradient_from_logits(out, y)
    return loss.value_and_gradient(out, y)


@pytest.mark.parametrize("loss, logits", FORMS, ids=FORM_IDS)
def test_integer_weights_equal_repeated_rows(loss, logits):
    out, y = case(loss, logits=logits)
    value, grad = weighted_value_and_gradient(loss, out, y, REPEATS.astype(float),
                                              from_logits=logits)
    rows = np.repeat(np.arange(N), REPEATS)
    value_r, grad_r = value_and_gradient(loss, out[rows], y[rows], logits)
    np.testing.assert_allclose(value, value_r, rtol=1e-12)
    summed = np.zeros_like(grad)  # each row's gradient is the sum over its copies
    np.add.at(summed, rows, grad_r)
    np.testing.assert_allclose(grad, summed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss, logits", FORMS, ids=FORM_IDS)
def test_the_weighted_gradient_is_the_weighted_values_derivative(loss, logits):
    out, y = case(loss, logits=logits)
    if isinstance(loss, BinaryCrossEntropy) and not logits:
        out = np.clip(out, 0.05, 0.95)  # away from the clipping at eps
    weights = RNG.random(N) * 2
    _, grad = weighted_value_and_gradient(loss, out, y, weights, from_logits=logits)
    numeric, h = np.zeros_like(out), 1e-6
    for index in np.ndindex(out.shape):
        plus, minus = out.copy(), out.copy()
        plus[index] += h
        minus[index] -= h
        numeric[index] = (
            weighted_value_and_gradient(loss, plus, y, weights, from_logits=logits)[0]
            - weighted_value_and_gradient(loss, minus, y, weights, from_logits=logits)[0]) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", LOSS_CASES, ids=IDS)
def test_per_sample_shares_add_up_to_the_value_for_a_population(loss):
    out, y = case(loss, population=(2,))
    shares = loss.per_sample(out, y)
    assert shares.shape == (2, N)
    np.testing.assert_allclose(shares.sum(axis=-1), loss.value(out, y), rtol=1e-12)
    # equal weights change nothing (a summed loss: weights of 1; a mean: any equal weights)
    weight = 1.0 if loss.reduction == "sum" else 0.3
    value, grad = weighted_value_and_gradient(loss, out, y, np.full(N, weight))
    np.testing.assert_allclose(value, loss.value(out, y), rtol=1e-12)
    np.testing.assert_allclose(grad, loss.gradient(out, y), rtol=1e-12, atol=1e-15)


def problem(loss):
    """(model factory, X, y) for a small net whose output suits `loss`."""
    X = RNG.normal(size=(N, 4))
    if isinstance(loss, SoftmaxCrossEntropy):
        output, y = "softmax", np.eye(K)[RNG.integers(0, K, N)]
    elif isinstance(loss, BinaryCrossEntropy):
        output, y = "sigmoid", (RNG.random((N, K)) > 0.5).astype(float)
    else:
        output, y = "linear", RNG.normal(size=(N, K))

    def model(seed=0):
        return MLP([4, 5, K], activation="tanh", output_activation=output, seed=seed)
    return model, X, y


@pytest.mark.parametrize("loss", LOSS_CASES, ids=IDS)
def test_full_batch_training_with_weights_equals_training_on_repeated_rows(loss):
    model, X, y = problem(loss)
    weighted, repeated = model(), model()
    rows = np.repeat(np.arange(N), REPEATS)
    h1 = fit(weighted, X, y, loss=loss, optimizer="adam", epochs=30, sample_weight=REPEATS)
    h2 = fit(repeated, X[rows], y[rows], loss=loss, optimizer="adam", epochs=30)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-11)
    for a, b in zip(weighted.params, repeated.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "bfgs"])
def test_solvers_minimize_the_weighted_loss(solver):
    loss = get_loss("mse")
    model, X, y = problem(loss)
    weighted, repeated = model(), model()
    rows = np.repeat(np.arange(N), REPEATS)
    fit(weighted, X, y, loss=loss, optimizer=solver, epochs=5, sample_weight=REPEATS)
    fit(repeated, X[rows], y[rows], loss=loss, optimizer=solver, epochs=5)
    for a, b in zip(weighted.params, repeated.params, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


def test_minibatches_carry_their_rows_weights():
    # Zero weight on the second half of every batch trains as batches of the first halves.
    X, y = RNG.normal(size=(24, 4)), RNG.normal(size=(24, 2))
    weights = np.tile([1.0, 1, 1, 0, 0, 0], 4)
    keep = weights > 0
    a, b = (MLP([4, 6, 2], activation="tanh", seed=1) for _ in range(2))
    h1 = fit(a, X, y, optimizer="momentum", epochs=3, batch_size=6, shuffle=False,
             sample_weight=weights)
    h2 = fit(b, X[keep], y[keep], optimizer="momentum", epochs=3, batch_size=3, shuffle=False)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)


def test_shuffled_minibatches_equal_their_unweighted_run_for_equal_weights():
    X, y = RNG.normal(size=(20, 4)), RNG.normal(size=(20, 2))
    a, b = (MLP([4, 6, 2], seed=2) for _ in range(2))
    h1 = fit(a, X, y, epochs=4, batch_size=6, seed=5, sample_weight=np.full(20, 2.5))
    h2 = fit(b, X, y, epochs=4, batch_size=6, seed=5)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    np.testing.assert_allclose(a.params[0], b.params[0], rtol=1e-12)


def test_a_validation_split_splits_the_weights_and_weighs_val_loss():
    from mlplab.data.splitting import train_test_split
    from mlplab.losses import weighted_value_and_gradient as weighted

    X, y = RNG.normal(size=(20, 3)), RNG.normal(size=(20, 1))
    weights = RNG.integers(1, 4, 20).astype(float)
    a, b = (MLP([3, 4, 1], seed=0) for _ in range(2))
    history = fit(a, X, y, epochs=5, sample_weight=weights, validation_split=0.3, seed=7)
    parts = train_test_split(np.arange(20)[:, None], y, test_size=0.3, seed=7)
    train, val = parts.X_train[:, 0], parts.X_test[:, 0]
    fit(b, X[train], y[train], epochs=5, sample_weight=weights[train], seed=7)
    np.testing.assert_array_equal(a.params[0], b.params[0])
    expected = weighted(get_loss("mse"), a.predict(X[val]), y[val], weights[val])[0]
    np.testing.assert_allclose(history["val_loss"][-1], expected, rtol=1e-12)


def test_a_population_gets_the_same_weights_for_every_member():
    X, y = RNG.normal(size=(N, 4)), RNG.normal(size=(N, 2))
    population = MLP([4, 5, 2], activation="tanh", seed=[0, 1])
    fit(population, X, y, optimizer="adam", epochs=10, sample_weight=REPEATS)
    for member, seed in enumerate([0, 1]):
        single = MLP([4, 5, 2], activation="tanh", seed=seed)
        fit(single, X, y, optimizer="adam", epochs=10, sample_weight=REPEATS)
        for p, q in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(p[member], q, rtol=1e-13, atol=1e-15)


def test_aw_sgd_importance_weights_are_unbiased_for_the_weighted_loss():
    # A batch of one row drawn from q with importance weight p_i / q_i, p = s / sum s:
    # the expected step gradient is the full weighted gradient.
    X, y = RNG.normal(size=(N, 4)), RNG.normal(size=(N, 2))
    weights = REPEATS.astype(float)
    model = MLP([4, 5, 2], activation="tanh", seed=3)
    sampler = AdaptiveSampling()
    objective = Objective(model, get_loss("mse"), X, y, weights)
    batches = sampler.batches(objective, 1, seed=0)
    assert objective.batch_weights is None  # the importance weights carry the weights
    batches.logits = RNG.normal(size=N)  # some learned, non-uniform q
    batches._update_probabilities()
    q = batches.probabilities
    expected = [np.zeros_like(p) for p in model.params]
    for i in range(N):
        objective.sample_weights = np.array([[weights[i] / weights.sum() / q[i]]])
        _, _, grads = objective.gradients(X[i:i + 1], y[i:i + 1])
        for total, g in zip(expected, grads, strict=True):
            total += q[i] * g
    objective.sample_weights, objective.batch_weights = None, weights
    _, _, full = objective.gradients(X, y)
    objective.batch_weights = None
    for a, b in zip(expected, full, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # and the sampler hands out exactly those importance weights
    batches.epoch().__next__()
    row = batches.rows[0]
    np.testing.assert_allclose(objective.sample_weights[0, 0],
                               weights[row] / weights.sum() / q[row], rtol=1e-15)


def test_aw_sgd_never_trains_on_rows_of_weight_zero():
    X, y = RNG.normal(size=(40, 3)), RNG.normal(size=(40, 1))
    weights = np.ones(40)
    weights[:20] = 0
    y[:20] = 1e6  # poison: any step on these rows would blow the weights up
    model = MLP([3, 4, 1], seed=0)
    fit(model, X, y, epochs=3, batch_size=5, sampler="aw-sgd", sample_weight=weights, seed=1)
    assert all(np.abs(p).max() < 100 for p in model.params)


@pytest.mark.parametrize("weights, message", [
    (np.ones(N - 1), f"{N} weights, one per row of X"),
    (np.r_[-1.0, np.ones(N - 1)], "weights >= 0, not all zero"),
    (np.zeros(N), "weights >= 0, not all zero"),
    (np.r_[np.nan, np.ones(N - 1)], "finite"),
    (np.ones((N, 1)), "sample_weight"),
    ("heavy", "sample_weight"),
])
def test_bad_weights_are_named(weights, message):
    model, X, y = problem(get_loss("mse"))
    with pytest.raises(ValueError, match="sample_weight") as error:
        fit(model(), X, y, epochs=1, sample_weight=weights)
    assert message in str(error.value)


def test_a_loss_without_per_sample_values_refuses_weights():
    class Quartic(Loss):
        def value(self, out, y, xp=np):
            return ((out - y) ** 4).mean()

        def gradient(self, out, y, xp=np):
            return 4 * (out - y) ** 3 / out.size

    model, X, y = problem(get_loss("mse"))
    with pytest.raises(ValueError, match=r"'sample_weight'.*defines no per-sample values"):
        fit(model(), X, y, loss=Quartic(), epochs=1, sample_weight=np.ones(N))
    fit(model(), X, y, loss=Quartic(), epochs=1)  # unweighted it trains


def test_optimizer_state_continues_a_run():
    X, y = RNG.normal(size=(N, 4)), RNG.normal(size=(N, 2))
    once, twice, cold = (MLP([4, 5, 2], seed=4) for _ in range(3))
    fit(once, X, y, optimizer="adam", epochs=20)
    history = fit(twice, X, y, optimizer="adam", epochs=10)
    fit(twice, X, y, optimizer="adam", epochs=10, optimizer_state=history.optimizer_state)
    fit(cold, X, y, optimizer="adam", epochs=10)
    fit(cold, X, y, optimizer="adam", epochs=10)  # a fresh state: Adam's first steps again
    np.testing.assert_array_equal(once.params[0], twice.params[0])
    assert not np.allclose(once.params[0], cold.params[0], rtol=1e-6)


def test_validation_keeps_its_weights_in_its_config():
    from mlplab.callbacks.validation import Validation

    weights = np.array([1.0, 0.0, 2.5])
    callback = Validation(np.ones((3, 2)), np.zeros((3, 1)), get_loss("mse"),
                          sample_weight=weights)
    again = Validation.from_config(callback.get_config())
    np.testing.assert_array_equal(again.sample_weight, weights)
    assert "sample_weight" not in Validation(np.ones((3, 2)), np.zeros((3, 1)),
                                             get_loss("mse")).get_config()
