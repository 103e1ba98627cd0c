"""The notebooks' regression comparison and the divergence lesson."""

import numpy as np
import pytest

from mlplab import MLP, fit, sgd
from mlplab.cli import main
from mlplab.lab import notebook


def test_data_follows_the_stated_function():
    X, y = notebook.regression_data(n_samples=5000, noise=0.0, seed=3)
    assert X.shape == (5000, 3) and X.min() >= 0 and X.max() < 1
    np.testing.assert_allclose(y[:, 0], 2 * X[:, 0] + X[:, 1])  # not the raw column sum
    noisy = notebook.regression_data(n_samples=5000, noise=0.2, seed=3)[1]
    assert np.std(noisy - y) == pytest.approx(0.2, rel=0.05)


def test_comparison_matches_separate_runs_and_learns():
    runs = notebook.compare(epochs=300)
    assert [(r.network, r.learning_rate) for r in runs][:2] == [
        ("one-layer linear", 0.01), ("one-layer linear", 0.001)]
    X, y = notebook.regression_data()
    single = MLP([3, 4, 1], activation="tanh", output_activation="linear", bias=False,
                 init="tutorial", seed=1)
    history = fit(single, X, y, loss="delta", epochs=300, metrics=["mse"],
                  optimizer=sgd(0.001))
    np.testing.assert_allclose(runs[3].mse, history["mse"], rtol=1e-12)
    for run in runs:
        assert run.mse[-1] < run.mse[0]


def test_divergence_lesson_is_reported_not_raised():
    message = notebook.divergence_lesson()
    assert message.startswith("Training diverged") and "smaller alpha" in message
    assert "without diverging" in notebook.divergence_lesson(learning_rate=0.001, epochs=50)


def test_reproduce_notebook_prints_the_table_and_lesson(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["reproduce", "notebook", "--iterations", "200", "--plot",
                 str(tmp_path / "mse.png")]) == 0
    out = capsys.readouterr().out
    assert "two-layer sigmoid/linear" in out and "Training diverged" in out
    assert (tmp_path / "mse.png").read_bytes()[:4] == b"\x89PNG"
