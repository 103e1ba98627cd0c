"""Full-batch solvers in fit: BFGS, L-BFGS (SciPy) and simulated annealing."""

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize

from mlplab import MLP, DivergenceError, fit
from mlplab.backend import NUMPY, get_backend, to_numpy
from mlplab.optim.annealing import accept, simulated_annealing
from mlplab.optim.quasi_newton import bfgs, lbfgs
from mlplab.params import ParamList


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


# --- Populations and backends, on an objective that treats every member alike ------------------

class MemberwiseObjective:
    """0.25 * sum(d**4) + 0.5 * sum(c * d**2), d = W - target, for each model on its own.

    A stand-in for `mlplab.objective.Objective` whose population numbers are,
    by construction, each member's single-model numbers: the loss of a member
    is the single-model expression on its slices. (The real objective's loss
    reductions of a population and a single model can differ in the last
    bit; that is the losses' business, not the solvers'.)
    """

    def __init__(self, params, targets, curvature):
        self.model = SimpleNamespace(params=params)
        self.targets, self.curvature = targets, curvature
        self.xp = params.backend.xp

    def _one(self, arrays, targets):
        xp, value, grads = self.xp, 0.0, []
        for a, t, c in zip(arrays, targets, self.curvature, strict=True):
            d = a - t
            value += float(xp.sum(0.25 * d**4 + 0.5 * c * d**2))
            grads.append(d**3 + c * d)
        return value, grads

    def value_and_grads(self):
        params = self.model.params
        if not params.population:
            return self._one(params, self.targets)
        runs = [self._one([p[k, ...] for p in params], [t[k, ...] for t in self.targets])
                for k in range(params.population[0])]
        return (np.array([value for value, _ in runs]),
                [self.xp.stack([grads[i] for _, grads in runs]) for i in range(len(params))])

    def value(self):
        return self.value_and_grads()[0]


SHAPES = [(3, 2), (2,)]
CURVATURE = [0.3, 2.0]


def problem(k, backend=None):
    """Member k's start and target (k None: a population of three)."""
    rng = np.random.default_rng(5)
    starts = [rng.normal(size=(3, *s)) for s in SHAPES]
    targets = [rng.normal(size=(3, *s)) for s in SHAPES]
    backend = backend or NUMPY
    pick = (lambda a: a) if k is None else (lambda a: a[k])
    params = ParamList([backend.asarray(pick(a).copy()) for a in starts],
                       population=(3,) if k is None else (), backend=backend)
    return MemberwiseObjective(params, [backend.asarray(pick(t)) for t in targets], CURVATURE)


def solve(solver, objective, iterations):
    losses = []
    result = solver.minimize(objective, iterations, lambda loss: losses.append(loss) and False)
    return result, np.array(losses), [to_numpy(p) for p in objective.model.params]


SOLVERS = {
    "bfgs": lambda k: bfgs(gtol=1e-14),
    "lbfgs": lambda k: lbfgs(gtol=1e-14, history_size=4),
    "annealing": lambda k: simulated_annealing(temperature=0.5, step_size=0.2,
                                               seed=[11, 12, 13] if k is None else 11 + k),
}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_population_member_equals_its_separate_run_bit_for_bit(name):
    _, losses, params = solve(SOLVERS[name](None), problem(None), 60)
    for k in range(3):
        _, own_losses, own = solve(SOLVERS[name](k), problem(k), 60)
        steps = len(own_losses)
        assert np.array_equal(losses[:steps, k], own_losses)
        assert np.all(losses[steps:, k] == own_losses[-1])  # a finished run repeats its last loss
        for p, q in zip(params, own, strict=True):
            assert np.array_equal(p[k], q)


def test_annealing_population_equals_separate_mlp_runs():
    X, y = regression()
    make = lambda seed: simulated_annealing(temperature=0.05, step_size=0.05, seed=seed)  # noqa: E731
    population = MLP([3, 4, 1], activation="tanh", seed=[0, 1])
    history = fit(population, X, y, loss="mse", optimizer=make([5, 6]), iterations=200)
    for k, (seed, stream) in enumerate([(0, 5), (1, 6)]):
        single = MLP([3, 4, 1], activation="tanh", seed=seed)
        own = fit(single, X, y, loss="mse", optimizer=make(stream), iterations=200)
        for p, q in zip(population.params, single.params, strict=True):
            assert np.array_equal(p[k], q)  # same draws, same decisions
        # The losses agree to the last bit or two: a population's MSE reduces differently.
        np.testing.assert_allclose(history["loss"][:, k], own["loss"], rtol=1e-14)


def test_annealing_seed_for_a_population_spawns_one_stream_per_member():
    spawned = simulated_annealing(seed=4).streams((3,))
    expected = [np.random.default_rng(s) for s in np.random.SeedSequence(4).spawn(3)]
    for rng, reference in zip(spawned, expected, strict=True):
        assert rng.random() == reference.random()
    _, losses, _ = solve(simulated_annealing(seed=4), problem(None), 30)
    _, again, _ = solve(simulated_annealing(seed=4), problem(None), 30)
    assert np.array_equal(losses, again)
    assert len({tuple(losses[:, k]) for k in range(3)}) == 3  # members search differently


@pytest.mark.parametrize(
    ("seed", "fragment"),
    [(-1, "'seed' parameter of annealing"), ("x", "'seed' parameter of annealing"),
     ([1, 2.5], "'seed' parameter of annealing"), (True, "'seed' parameter of annealing")])
def test_bad_annealing_seeds(seed, fragment):
    with pytest.raises(ValueError, match=fragment):
        simulated_annealing(seed=seed)


def test_annealing_needs_one_seed_per_member():
    with pytest.raises(ValueError, match=r"'seed' parameter of annealing must be one seed per "
                                         r"model \(3\). Got 2 seeds instead"):
        solve(simulated_annealing(seed=[1, 2]), problem(None), 5)


@pytest.mark.parametrize("name", sorted(SOLVERS))
@pytest.mark.parametrize("population", [False, True], ids=["single", "population"])
def test_solvers_run_on_array_api_strict(name, population):
    strict = get_backend("array_api_strict")
    k = None if population else 1
    _, losses, params = solve(SOLVERS[name](k), problem(k), 25)
    _, strict_losses, strict_params = solve(SOLVERS[name](k), problem(k, strict), 25)
    assert all(isinstance(p, type(strict.asarray(np.zeros(1))))
               for p in problem(k, strict).model.params)
    np.testing.assert_allclose(strict_losses, losses, rtol=1e-12)
    for p, q in zip(strict_params, params, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


def test_a_solver_run_refuses_checkpoints_and_follows_the_seed(tmp_path):
    from mlplab import MLP, Dense, Dropout, Sequential, fit
    from mlplab.callbacks import Checkpoint
    from mlplab.layers import Activation

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    with pytest.raises(ValueError, match=r"'callbacks' parameter of fit .*Checkpoint"):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer="lbfgs", iterations=3,
            callbacks=[Checkpoint(tmp_path / "c.npz")])
    with pytest.raises(ValueError, match=r"'resume_from' parameter of fit"):
        fit(MLP([3, 4, 1], seed=0), X, y, optimizer="bfgs", iterations=3,
            resume_from=tmp_path / "c.npz")

    def run():
        net = Sequential([Dense(3, 6), Activation("tanh"), Dropout(0.3), Dense(6, 1)], seed=0)
        return fit(net, X, y, optimizer="lbfgs", iterations=20, seed=4)["loss"]

    np.testing.assert_array_equal(run(), run())  # dropout's masks come from fit's seed


# --- Divergence: the guard of gradient steps, for solvers ---------------------------------------

ALL_SOLVERS = ["lbfgs", "bfgs", "annealing"]


def overflowing():
    """Finite inputs that overflow the first layer: the loss at the start is already inf."""
    X, y = regression()
    return X * 1e160, y[:, 0]


@pytest.mark.parametrize("name", ALL_SOLVERS)
def test_a_solver_stops_with_divergence_error_on_the_starting_loss(name):
    net = MLP([3, 4, 1], seed=0)
    start = net.get_weights()
    with pytest.raises(DivergenceError, match=rf"the loss at the starting weights was inf, "
                                              rf"before the first iteration of {name}; the "
                                              r"weights were left as they were") as caught:
        fit(net, *overflowing(), optimizer=name, iterations=5)
    assert caught.value.iteration == 0 and caught.value.models == []
    assert len(caught.value.history) == 0
    for p, q in zip(net.params, start, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # unguarded: NumPy warns
@pytest.mark.parametrize("name", ALL_SOLVERS)
def test_without_the_guard_a_solver_stops_and_says_why(name):
    net = MLP([3, 4, 1], seed=0)
    start = net.get_weights()
    history = fit(net, *overflowing(), optimizer=name, iterations=5, guard=False)
    assert history.iterations == 0 and len(history) == 0
    assert history.stop_reason == ["stopped: the loss at the starting weights is inf, so no "
                                   "iteration was taken"]
    for p, q in zip(net.params, start, strict=True):
        np.testing.assert_array_equal(p, q)


def test_the_regressor_with_lbfgs_reports_divergence_not_an_empty_min():
    from mlplab.sklearn import MLPRegressor

    with pytest.raises(DivergenceError, match="starting weights was inf"):
        MLPRegressor(optimizer="lbfgs", hidden_layer_sizes=(4,), random_state=0).fit(
            *overflowing())


class Cliff(MemberwiseObjective):
    """The memberwise problem, whose loss drops to -inf from the `after`-th evaluation on."""

    def __init__(self, objective, after):
        super().__init__(objective.model.params, objective.targets, objective.curvature)
        self.after, self.calls = after, 0

    def value_and_grads(self):
        value, grads = super().value_and_grads()
        self.calls += 1
        return (value if self.calls < self.after else value - np.inf), grads


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
def test_quasi_newton_keeps_the_last_finite_iterate_when_the_loss_stops_being_finite(name):
    result, losses, params = solve(SOLVERS[name](1), Cliff(problem(1), after=8), 60)
    (divergence,) = result.diverged
    assert divergence.loss == -np.inf and divergence.member == 0
    assert divergence.iteration == result.iterations == len(losses) > 0
    assert np.all(np.isfinite(losses))
    assert result.stop_reason == [f"stopped: the loss became -inf at iteration "
                                  f"{divergence.iteration}; the weights of the last finite "
                                  "iterate were kept"]
    _, _, expected = solve(SOLVERS[name](1), problem(1), divergence.iteration)
    for p, q in zip(params, expected, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("name", ALL_SOLVERS)
def test_a_population_member_that_diverges_is_named_and_the_others_finish(name):
    X, y = regression()
    make = {"annealing": lambda: simulated_annealing(temperature=0.05, step_size=0.05,
                                                     seed=[5, 6]),
            "bfgs": bfgs, "lbfgs": lbfgs}[name]
    population = MLP([3, 4, 1], activation="tanh", seed=[0, 1])
    population.params[2][1] = 1e300  # member 1's output weights: its loss overflows
    start = population.get_weights()
    with pytest.raises(DivergenceError, match=r"was inf for models \[1\] of the population"
                       ) as caught:
        fit(population, X, y, optimizer=make(), iterations=20)
    assert caught.value.models == [1]
    history = caught.value.history
    assert np.all(np.isnan(history["loss"][:, 1])) and np.all(np.isfinite(history["loss"][:, 0]))
    assert "starting weights" in history.stop_reason[1]
    single = MLP([3, 4, 1], activation="tanh", seed=0)
    solver = make() if name != "annealing" else simulated_annealing(
        temperature=0.05, step_size=0.05, seed=5)
    fit(single, X, y, optimizer=solver, iterations=20)
    for p, q, s in zip(population.params, single.params, start, strict=True):
        np.testing.assert_allclose(p[0], q, rtol=1e-9, atol=1e-12)  # member 0 ran on
        np.testing.assert_array_equal(p[1], s[1])  # member 1 kept its starting weights
