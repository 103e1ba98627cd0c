"""The learning-rate finder: every alpha's curve is its separate run's, bit for bit."""

import numpy as np
import pytest

import mlplab
from mlplab.callbacks import Callback
from mlplab.cli import main
from mlplab.lab import lr_find

RNG = np.random.default_rng(3)
X = RNG.normal(size=(64, 4))
y = (X[:, 0] - X[:, 1] > 0).astype(int)


def template():
    return mlplab.MLP([4, 8, 2], output_activation="softmax", seed=5)


class Losses(Callback):
    def on_train_begin(self, state):
        self.values = []

    def on_step_end(self, state):
        self.values.append(float(state.loss))


def separate_run(alpha, steps):
    net, record = template(), Losses()
    mlplab.fit(net, X, y, loss="softmax_crossentropy", optimizer=mlplab.adam(alpha),
               iterations=steps, batch_size=16, seed=0, guard=False, callbacks=[record])
    return np.array(record.values)


def test_each_alpha_is_its_separate_run_and_the_lowest_is_suggested():
    model = template()
    before = [p.copy() for p in model.params]
    alphas = [1e-3, 1e-2, 1e-1]
    result = lr_find(model, X, y, alphas=alphas, steps=30, loss="softmax_crossentropy",
                     optimizer="adam", batch_size=16)
    assert result.losses.shape == (30, 3)
    for k, alpha in enumerate(alphas):
        np.testing.assert_array_equal(result.losses[:, k], separate_run(alpha, 30))
    assert result.suggestion == alphas[int(np.argmin(result.final))]
    for p, q in zip(model.params, before, strict=True):  # the template is left as it was
        np.testing.assert_array_equal(p, q)
    assert "<- suggested" in result.summary()


def test_a_diverging_alpha_is_never_suggested():
    result = lr_find(template(), X * 1e3, y, alphas=[1e-3, 1e12], steps=20,
                     loss="softmax_crossentropy", optimizer="sgd")
    assert not np.isfinite(result.final[1]) and result.suggestion == 1e-3
    assert "diverged" in result.summary()


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(model=mlplab.MLP([4, 2], seed=[0, 1])), "'model' parameter of lr_find"),
    (dict(optimizer="lbfgs"), "'optimizer' parameter of lr_find"),
    (dict(alphas=[0.1]), "'alphas' parameter of lr_find"),
    (dict(alphas=[0.1, -1.0]), "'alphas' parameter of lr_find"),
    (dict(steps=0), "'steps' parameter of lr_find")])
def test_wrong_arguments_get_one_clear_error(kwargs, fragment):
    arguments = {"model": template(), **kwargs}
    with pytest.raises(ValueError, match=fragment):
        lr_find(arguments.pop("model"), X, y, **arguments)


def test_the_command_prints_a_suggestion_and_draws_it(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    status = main(["lr-find", "--data", "iris", "--steps", "20", "--alphas", "0.01,0.1,1",
                   "--plot", str(tmp_path / "lr.png")])
    out = capsys.readouterr().out
    assert status == 0 and "suggested alpha:" in out
    assert (tmp_path / "lr.png").stat().st_size > 10_000
