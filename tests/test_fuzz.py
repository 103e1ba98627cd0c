"""Property-based fuzzing: whatever a user passes, the answer is a result or one clear error.

The rule for every public entry point: an exception that reaches the user is
mlplab's own (ModelFileError, DivergenceError) or a ValueError / TypeError /
OSError whose message names the argument, flag or file; nothing hangs and no
output is silently NaN. The default run keeps each property to a few dozen
examples (well under a minute in all); ``-m slow`` (or ``--runslow``) runs many
more.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import mlplab  # noqa: E402
import mlplab.cli  # noqa: E402
from mlplab.activations import ACTIVATIONS  # noqa: E402
from mlplab.callbacks import DivergenceError  # noqa: E402
from mlplab.data import load_csv  # noqa: E402
from mlplab.initializers import INITIALIZERS  # noqa: E402
from mlplab.io import ModelFileError  # noqa: E402
from mlplab.optim import OPTIMIZERS, get_optimizer  # noqa: E402

LONG = "--runslow" in sys.argv or any("slow" in a for a in sys.argv)
EXAMPLES = 400 if LONG else 25
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Values of every kind a user might pass where a number, name or list is expected.
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.integers(-5, 300), max_size=5), st.just([]), st.just(()),
    st.sampled_from([np.nan, -1, 0, 1, 0.5, "relu", "sigmoid", [3, 4], np.ones(3), object()]))
NAMES = st.one_of(st.sampled_from(sorted(ACTIVATIONS.choices())), st.text(max_size=10),
                  ANYTHING)


def clear(error: BaseException) -> bool:
    """Whether an error is one a user may see: ours, or one naming what was wrong."""
    if isinstance(error, ModelFileError | DivergenceError):
        return True
    text = str(error)
    return (isinstance(error, ValueError | TypeError | OSError | ImportError)
            and ("parameter of" in text or "mlplab" in text or os.sep in text))


def sklearn_clear(error: BaseException) -> bool:
    """The estimators also answer in scikit-learn's words (its input validation, which
    `check_estimator` requires): a ValueError that names the input or the labels."""
    text = str(error)
    return clear(error) or (isinstance(error, ValueError) and any(
        word in text for word in ("Input X", "Input y", "label type", "n_samples", "classes")))


def outcome(call, is_clear=clear):
    """Run `call`; an error must be a clear one (re-raised with context otherwise)."""
    try:
        return call()
    except Exception as error:  # the property under test: which errors escape
        if not is_clear(error):
            raise AssertionError(f"unclear {type(error).__name__}: {error}") from error
        return None


@FUZZ
@given(sizes=st.one_of(st.lists(st.integers(-2, 40), min_size=0, max_size=5), ANYTHING),
       activation=NAMES, output=NAMES, init=st.one_of(
           st.sampled_from(sorted(INITIALIZERS.choices())), ANYTHING),
       seed=st.one_of(ANYTHING, st.lists(st.integers(-2, 5), max_size=3)), bias=ANYTHING,
       dtype=st.one_of(st.sampled_from(["float32", "float64", "int8"]), ANYTHING))
def test_model_constructors(sizes, activation, output, init, seed, bias, dtype):
    net = outcome(lambda: mlplab.MLP(sizes, activation=activation, output_activation=output,
                                     init=init, seed=seed, bias=bias, dtype=dtype))
    if net is not None:
        out = net.predict(np.zeros((2, net.n_inputs)))
        assert np.all(np.isfinite(out))


@FUZZ
@given(name=st.one_of(st.sampled_from(sorted(OPTIMIZERS.choices())), ANYTHING),
       alpha=ANYTHING, other=st.dictionaries(
           st.sampled_from(["momentum", "beta1", "beta2", "eps", "decay", "rho", "nesterov",
                            "weight_decay", "centered", "amsgrad", "bogus", "gtol"]),
           ANYTHING, max_size=2))
def test_optimizers_by_name(name, alpha, other):
    known = isinstance(name, str) and name in OPTIMIZERS.choices()
    rate = OPTIMIZERS.fact(name, "learning_rate") if known else "alpha"
    outcome(lambda: get_optimizer(name, **({rate: alpha} if rate else {}), **other))


@FUZZ
@given(text=st.one_of(
    st.text(alphabet="0123456789.,-e \n\tabc\"'", max_size=200),
    st.lists(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str),
                                st.text(max_size=4)), min_size=1, max_size=4),
             min_size=1, max_size=6).map(lambda rows: "\n".join(",".join(r) for r in rows))),
       target=st.one_of(st.none(), st.integers(-4, 4), st.text(max_size=3)))
def test_csv_loader_on_any_text(tmp_path_factory, text, target):
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    path.write_text(text)
    data = outcome(lambda: load_csv(path, target=target))
    if data is not None:
        assert np.all(np.isfinite(data.X))


@FUZZ
@given(X=st.one_of(st.integers(1, 12).flatmap(lambda n: st.lists(
           st.lists(st.floats(-1e6, 1e6), min_size=3, max_size=3), min_size=n, max_size=n)),
           ANYTHING),
       y=st.one_of(st.lists(st.floats(-10, 10), min_size=1, max_size=12), ANYTHING),
       epochs=st.one_of(st.integers(1, 3), ANYTHING), batch=st.one_of(
           st.none(), st.integers(1, 12), ANYTHING),
       optimizer=st.one_of(st.sampled_from(sorted(OPTIMIZERS.names())), ANYTHING),
       loss=st.one_of(st.sampled_from(["mse", "mae", "delta"]), ANYTHING))
def test_fit_on_any_arguments(X, y, epochs, batch, optimizer, loss):
    net = mlplab.MLP([3, 4, 1], seed=0)
    kwargs = {"iterations": 3} if optimizer in ("bfgs", "lbfgs", "annealing") else {
        "epochs": epochs, "batch_size": batch}
    history = outcome(lambda: mlplab.fit(net, X, y, optimizer=optimizer, loss=loss, **kwargs))
    if history is not None:
        assert all(math.isfinite(v) for v in np.ravel(history["loss"]))


COMMANDS = {
    "reproduce": ["part1", "part2", "notebook", "--iterations", "3", "--json", "--hidden",
                  "4,x", "--alphas", "0.1,-1", "--targets", "0,1"],
    "train": ["iris", "moons", "nope", "--epochs", "1", "0", "--layers", "4", "0,2",
              "--optimizer", "sgd", "adam", "lbfgs", "--learning-rate", "0.1", "-1",
              "--batch-size", "8", "--activation", "tanh", "swish", "--validation-split", "2"],
    "sweep": ["--hidden", "2", "0", "--alpha", "1,x", "--iterations", "5", "--seed", "1,2",
              "--every", "2", "--jobs", "1", "--activation", "relu"],
    "evaluate": ["missing.npz", "iris", "--target", "3"],
    "predict": ["missing.npz", "iris"],
}


@FUZZ
@given(command=st.sampled_from(sorted(COMMANDS)), data=st.data())
def test_the_command_line_on_random_arguments(command, data, capsys):
    words = data.draw(st.lists(st.sampled_from(COMMANDS[command]), max_size=6))
    if command in ("reproduce", "sweep"):
        words += ["--iterations", "5"]  # bounded work, whatever else was drawn
    if command == "train":
        words += ["--epochs", "1"]
    try:
        status = mlplab.cli.main([command, *words])
    except SystemExit as stop:  # argparse's own usage error: status 2, one message
        status = stop.code
    err = capsys.readouterr().err
    assert status in (0, 2), err
    assert "Traceback" not in err


@FUZZ
@given(X=st.one_of(st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True),
                                     min_size=1, max_size=4), min_size=1, max_size=5),
                   ANYTHING))
def test_predict_on_any_input(X):
    net = mlplab.MLP([3, 4, 2], output_activation="softmax", seed=0)
    out = outcome(lambda: net.predict(X))
    if out is not None:
        assert np.all(np.isfinite(out))  # never silent NaN


@FUZZ
@given(params=st.fixed_dictionaries({}, optional={
           "hidden_layer_sizes": st.one_of(st.tuples(st.integers(-1, 8)), ANYTHING),
           "learning_rate": ANYTHING, "max_iter": st.one_of(st.integers(-1, 5), ANYTHING),
           "optimizer": st.one_of(st.sampled_from(["sgd", "adam", "lbfgs"]), ANYTHING),
           "batch_size": ANYTHING, "weight_decay": ANYTHING, "early_stopping": ANYTHING}),
       labels=st.sampled_from([[0, 1] * 6, ["a", "b", "c"] * 4, [1.5] * 12, [np.nan] * 12]))
def test_the_estimators_on_any_settings(params, labels):
    sklearn = pytest.importorskip("sklearn")  # noqa: F841
    import warnings

    from mlplab.sklearn import MLPClassifier, MLPRegressor

    X = np.random.default_rng(0).normal(size=(12, 3))
    for make in (MLPClassifier, MLPRegressor):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = outcome(lambda make=make: make(**params).fit(X, labels), sklearn_clear)
        if model is not None:
            assert len(model.predict(X)) == len(X)


def _a_model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "model.npz"
    mlplab.save(mlplab.MLP([3, 4, 2], seed=0), path)
    return path.read_bytes()


@FUZZ
@given(data=st.data())
def test_load_on_random_and_mutated_files(tmp_path_factory, data):
    good = _a_model_file(tmp_path_factory)
    kind = data.draw(st.sampled_from(["random", "flip", "cut", "splice"]))
    if kind == "random":
        blob = data.draw(st.binary(max_size=2048))
    elif kind == "flip":
        blob = bytearray(good)
        for _ in range(data.draw(st.integers(1, 8))):
            blob[data.draw(st.integers(0, len(good) - 1))] ^= data.draw(st.integers(1, 255))
        blob = bytes(blob)
    elif kind == "cut":
        blob = good[:data.draw(st.integers(0, len(good) - 1))]
    else:
        at = data.draw(st.integers(0, len(good)))
        blob = good[:at] + data.draw(st.binary(min_size=1, max_size=64)) + good[at:]
    path = tmp_path_factory.mktemp("mutated") / "model.npz"
    path.write_bytes(blob)
    model = outcome(lambda: mlplab.load(path))
    if model is not None:  # a flip the checksum cannot see (zip padding) loads the same model
        assert np.all(np.isfinite(model.predict(np.ones((1, 3)))))
