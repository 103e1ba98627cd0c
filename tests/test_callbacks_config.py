"""Callback configs: every registry entry round-trips; what cannot be written down says so."""

import io
import json
import sys

import numpy as np
import pytest

from mlplab import MLP, fit, sgd
from mlplab.callbacks import (
    CALLBACKS,
    Callback,
    Checkpoint,
    DirectionChanges,
    EarlyStopping,
    LearningRateScheduler,
    PrintError,
    ProgressBar,
    Validation,
    WeightPath,
    callback_from_config,
)
from mlplab.callbacks.config import plain
from mlplab.losses import get_loss
from mlplab.metrics import mse
from mlplab.optim import reduce_lr_on_plateau, step_decay


def examples():
    """One callback per registry entry, with arguments other than the defaults."""
    X, y = np.arange(6.0).reshape(3, 2), np.array([[0.5], [1.0], [-1.0]])
    return {
        "Checkpoint": Checkpoint("runs/net.npz", every=5),
        "DirectionChanges": DirectionChanges(),
        "DivergenceGuard": CALLBACKS["DivergenceGuard"](snapshot_every=7),
        "EarlyStopping": EarlyStopping("val_accuracy", patience=3, min_delta=[0.01, 0.02],
                                       mode="max", restore_best_weights=False),
        "LearningRateScheduler": LearningRateScheduler(step_decay(1.0, 10, 0.5)),
        "MemberSteps": CALLBACKS["MemberSteps"]([3, 1, 4]),
        "PrintError": PrintError(50, metric="mse", template="{iteration}: {error}",
                                 print_fn=None),
        "ProgressBar": ProgressBar(force=True, file=sys.stdout),
        "ReducePlateau": CALLBACKS["ReducePlateau"](reduce_lr_on_plateau(0.1, patience=3),
                                                    monitor="loss"),
        "TensorBoard": CALLBACKS["TensorBoard"]("runs/tb", histograms=False),
        "TrainingDynamics": CALLBACKS["TrainingDynamics"](every=4),
        "Validation": Validation(X, y, get_loss("mae"), metrics=["mse", mse]),
        "WeightPath": WeightPath([(0, "W", 1, 2), (np.int64(2), (3, 0))], every=2),
    }


def test_the_examples_cover_the_registry():
    assert sorted(examples()) == CALLBACKS.names()


@pytest.mark.parametrize("name", CALLBACKS.names())
def test_every_registry_entry_round_trips(name):
    callback = examples()[name]
    config = callback.get_config()
    assert config["type"] == name
    assert json.loads(json.dumps(config)) == config  # plain data only
    again = CALLBACKS[name].from_config(config)
    assert type(again) is type(callback) and again.get_config() == config
    alias = next(a for a, canonical in CALLBACKS.aliases.items() if canonical == name)
    assert callback_from_config({**config, "type": alias}).get_config() == config


def test_rebuilt_callbacks_behave_the_same():
    rebuilt = callback_from_config(examples()["LearningRateScheduler"].get_config())
    assert [rebuilt.schedule(e) for e in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    stopper = callback_from_config(examples()["EarlyStopping"].get_config())
    assert stopper.sign == -1.0 and stopper.patience == 3
    np.testing.assert_array_equal(stopper.min_delta, [0.01, 0.02])
    validation = callback_from_config(examples()["Validation"].get_config())
    np.testing.assert_array_equal(validation.X, examples()["Validation"].X)
    assert validation.names == ["val_loss", "val_mse", "val_mse"]
    assert callback_from_config(examples()["ProgressBar"].get_config()).file is sys.stdout
    assert callback_from_config(examples()["PrintError"].get_config()).metric is mse


def test_a_validation_config_keeps_float32_data():
    X = np.ones((2, 1), dtype=np.float32) / 3
    again = Validation.from_config(Validation(X, X, get_loss("mse")).get_config())
    assert again.X.dtype == np.float32 and np.array_equal(again.X, X)


def test_defaults_write_print_and_stderr_by_name():
    assert PrintError().get_config()["print_fn"] == "print"
    assert ProgressBar().get_config()["file"] is None
    assert ProgressBar(file=sys.stderr).get_config()["file"] == "stderr"
    assert callback_from_config(PrintError().get_config()).print_fn is print


@pytest.mark.parametrize(
    ("callback", "fragment"),
    [
        (LearningRateScheduler(lambda epoch: 1.0), "'schedule' parameter of Learning"),
        (PrintError(metric=lambda out, y: out), "'metric' parameter of PrintError"),
        (PrintError(print_fn=lambda line: None), "'print_fn' parameter of PrintError"),
        (ProgressBar(file=io.StringIO()), "'file' parameter of ProgressBar"),
        (Validation(np.ones((2, 1)), np.ones((2, 1)), get_loss("mse"),
                    metrics=[lambda out, y: out]), "'metrics' parameter of Validation"),
        (WeightPath([(0, "W", object(), 0)]), "'weights' parameter of WeightPath"),
    ],
)
def test_what_cannot_be_written_down_raises(callback, fragment):
    with pytest.raises(ValueError, match=fragment + ".*written into a config"):
        callback.get_config()


def test_plain_refuses_a_generator_and_converts_numpy():
    with pytest.raises(ValueError, match="'seed' parameter of Thing must be plain data"):
        plain("seed", "Thing", np.random.default_rng(0))
    assert plain("x", "Thing", (np.int64(2), np.float64(0.5), np.array([[1, 2]]),
                                {"a": (True, None)})) == [2, 0.5, [[1, 2]], {"a": [True, None]}]


def test_a_user_callback_with_arguments_must_write_its_own_config():
    class Counter(Callback):
        def __init__(self, start):
            self.start = start

    class Quiet(Callback):
        def on_epoch_end(self, state):
            pass

    with pytest.raises(ValueError, match=r"'callback' parameter of get_config.*Counter"):
        Counter(3).get_config()
    assert Quiet().get_config() == {"type": "Quiet"}
    with pytest.raises(ValueError, match="'type' parameter of callback_from_config"):
        callback_from_config(Quiet().get_config())


def test_bad_configs():
    with pytest.raises(ValueError, match="'config' parameter of callback_from_config"):
        callback_from_config({"patience": 3})
    with pytest.raises(ValueError, match=r"'config' parameter of EarlyStopping\.from_config.*"
                                         r"'EarlyStopping'"):
        EarlyStopping.from_config({"type": "Checkpoint", "path": "x"})
    with pytest.raises(ValueError, match="'patience' parameter of EarlyStopping"):
        callback_from_config({"type": "early_stopping", "patience": -1})
    with pytest.raises(ValueError, match=r"'file' parameter of ProgressBar\.from_config"):
        callback_from_config({"type": "ProgressBar", "file": "/dev/null"})
    with pytest.raises(ValueError, match=r"'print_fn' parameter of PrintError\.from_config"):
        callback_from_config({"type": "PrintError", "print_fn": "logging.info"})
    with pytest.raises(ValueError, match=r"'schedule' parameter of LearningRateScheduler"
                                         r"\.from_config"):
        callback_from_config({"type": "LearningRateScheduler", "schedule": {"name": "x"}})


def test_callbacks_from_configs_train_like_the_originals(tmp_path):
    X = np.random.default_rng(0).normal(size=(12, 2))
    y = X[:, :1] - X[:, 1:]
    path = tmp_path / "run.npz"
    configs = [{"type": "weight_path", "weights": [[0, "W", 0, 0]], "every": 2},
               {"type": "Checkpoint", "path": str(path), "every": 2}]
    callbacks = [callback_from_config(c) for c in configs]
    fit(MLP([2, 1], seed=0), X, y, optimizer=sgd(0.1), epochs=4, callbacks=callbacks)
    reference = WeightPath([(0, "W", 0, 0)], every=2)
    fit(MLP([2, 1], seed=0), X, y, optimizer=sgd(0.1), epochs=4, callbacks=[reference])
    np.testing.assert_array_equal(callbacks[0].values, reference.values)
    assert path.exists()


def test_a_weight_path_of_resolved_weights_writes_their_position():
    from mlplab.surface import weight_ref

    ref = weight_ref(MLP([2, 3, 1], seed=0), (2, "W", 1, 0))
    config = WeightPath([ref], every=3).get_config()
    assert config["weights"] == [[2, [1, 0]]]
    assert WeightPath.from_config(config).get_config() == config


def test_a_validation_config_keeps_its_losss_options():
    from mlplab.losses import HuberLoss

    X = np.ones((3, 1))
    again = Validation.from_config(Validation(X, X, HuberLoss(delta=2.0)).get_config())
    assert isinstance(again.loss, HuberLoss) and again.loss.get_config()["delta"] == 2.0
