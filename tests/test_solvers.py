"""Full-batch solvers in fit: BFGS, L-BFGS (SciPy) and simulated annealing."""

import numpy as np
import pytest
from scipy.optimize import minimize

from mlplab import MLP, fit
from mlplab.optim.annealing import accept, simulated_annealing
from mlplab.optim.quasi_newton import bfgs, lbfgs


def regression(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 3))
    return X, np.tanh(X @ np.array([1.0, -2.0, 0.5]))[:, None]


@pytest.mark.parametrize("solver", [bfgs, lbfgs])
def test_quasi_newton_fits_xor_and_reports_iterations(solver):
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = MLP([3, 4, 1], activation="tanh", output_activation="sigmoid", seed=2)
    history = fit(net, X, y, loss="mse", optimizer=solver(), iterations=500)
    assert history["loss"][-1] < 1e-4 < history["loss"][0]
    assert 0 < history.iterations <= 500 and len(history) == history.iterations
    assert len(history.stop_reason) == 1 and isinstance(history.stop_reason[0], str)
    assert np.all(np.abs(net.predict(X) - y) < 0.05)


def test_lbfgs_equals_scipy_on_the_flattened_problem():
    X, y = regression()
    net = MLP([3, 1], output_activation="linear", seed=0)
    W0, b0 = net.get_weights()

    def loss_and_grad(x):
        W, b = x[:3, None], x[3:]
        error = X @ W + b - y
        return np.mean(error**2), np.concatenate([2 * X.T @ error[:, 0] / 50,
                                                  [2 * error.mean()]])

    expected = minimize(loss_and_grad, np.concatenate([W0[:, 0], b0]), jac=True,
                        method="L-BFGS-B", options={"maxiter": 30, "gtol": 1e-6})
    history = fit(net, X, y, loss="mse", optimizer=lbfgs(), iterations=30)
    np.testing.assert_allclose(np.concatenate([net.params[0][:, 0], net.params[1]]),
                               expected.x, rtol=1e-8, atol=1e-10)
    assert history.iterations == expected.nit


def test_quasi_newton_population_runs_each_member_separately():
    X, y = regression()
    population = MLP([3, 4, 1], activation="tanh", seed=[0, 1])
    history = fit(population, X, y, loss="mse", optimizer=bfgs(), iterations=40)
    assert history["loss"].shape[1] == 2 and len(history.stop_reason) == 2
    for k, seed in enumerate([0, 1]):
        single = MLP([3, 4, 1], activation="tanh", seed=seed)
        fit(single, X, y, loss="mse", optimizer=bfgs(), iterations=40)
        for p, q in zip(population.params, single.params, strict=True):
            np.testing.assert_allclose(p[k], q, rtol=1e-9, atol=1e-12)


def test_solvers_are_full_batch_only():
    X, y = regression()
    with pytest.raises(ValueError, match=r"'batch_size'.*full-batch"):
        fit(MLP([3, 1], seed=0), X, y, optimizer=lbfgs(), iterations=5, batch_size=10)


def test_annealing_lowers_the_loss_and_is_seeded():
    X, y = regression()
    runs = []
    for _ in range(2):
        net = MLP([3, 1], output_activation="linear", seed=0)
        history = fit(net, X, y, loss="mse", iterations=400,
                      optimizer=simulated_annealing(temperature=0.1, step_size=0.05, seed=3))
        runs.append((history["loss"], net.get_weights()))
    losses, weights = runs[0]
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_array_equal(losses, runs[1][0])
    net = MLP([3, 1], output_activation="linear", seed=0)
    net.set_weights(weights)
    best = np.mean((net.predict(X) - y) ** 2)
    assert best == pytest.approx(losses.min(), rel=1e-12)  # keeps the best weights seen


def test_annealing_accepts_uphill_moves_only_sometimes():
    uniforms = np.random.default_rng(0).random(20000)
    accepted = np.mean([accept(1.0, 1.0, u) for u in uniforms])
    assert accepted == pytest.approx(np.exp(-1.0), abs=0.01)
    assert all(accept(-1.0, 1.0, u) for u in uniforms[:100])
    assert not any(accept(np.nan, 1.0, u) for u in uniforms[:100])
    assert not accept(np.inf, 1.0, 0.0)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: simulated_annealing(temperature=0), "'temperature'"),
        (lambda: simulated_annealing(cooling=1.5), "'cooling'"),
        (lambda: simulated_annealing(step_size=-1), "'step_size'"),
        (lambda: lbfgs(history_size=0), "'history_size'"),
        (lambda: bfgs(gtol=-1), "'gtol'"),
    ],
)
def test_bad_solver_arguments(make, fragment):
    with pytest.raises(ValueError, match=fragment):
        make()


def test_lbfgs_gets_as_far_as_pytorch_lbfgs():
    """PyTorch's L-BFGS (tests/fixtures/make_torch_lbfgs_fixture.py) has another line search,
    so paths differ; after the same 500 iterations both should have come as far."""
    from pathlib import Path

    fixtures = Path(__file__).parent / "fixtures"
    problem = np.load(fixtures / "torch_optimizers.npz", allow_pickle=False)
    torch_run = np.load(fixtures / "torch_lbfgs.npz", allow_pickle=False)
    net = MLP([3, 5, 2], activation="tanh", output_activation="linear", seed=0)
    sizes = np.cumsum([p.size for p in net.params])[:-1]
    net.set_weights([part.reshape(p.shape) for part, p in
                     zip(np.split(problem["initial"], sizes), net.params, strict=True)])
    history = fit(net, problem["X"], problem["y"], loss="mse", optimizer=lbfgs(gtol=1e-12),
                  iterations=500)
    assert history["loss"][-1] <= 1.5 * float(torch_run["loss"])
    assert history["loss"][-1] < 1e-3 * history["loss"][0]
