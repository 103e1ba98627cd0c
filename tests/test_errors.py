"""Every row of docs/errors.md: the documented mistake gets exactly the documented message."""

import json
from pathlib import Path

import numpy as np
import pytest

from mlplab import MLP, Dense, Dropout, Sequential, adam, fit, load, save, sgd
from mlplab.callbacks import Checkpoint
from mlplab.io import HEADER
from mlplab.layers import layer_from_config

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
X = np.ones((4, 3))
y = np.array([0, 1, 1, 0])


def documented() -> dict[str, str]:
    """mistake -> "ErrorType: message" from the table in docs/errors.md."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 3 and cells[0] not in ("mistake", "---"):
            rows[cells[0]] = cells[2]
    return rows


def corrupt(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(b"this is not a zip archive")
    return path


def foreign(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, weights=np.ones(3))
    return path


def tampered(tmp_path):
    path = save(MLP([3, 1], seed=0), tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["param_0"] = arrays["param_0"] + 1.0
    np.savez(path, **arrays)
    assert json.loads(arrays[HEADER].tobytes())["format"] == "mlplab-model"
    return path


def diverging():
    rng = np.random.default_rng(0)
    X_big = rng.normal(size=(100, 3)) * 10
    fit(MLP([3, 1], output_activation="linear", seed=0), X_big,
        X_big @ np.array([2.0, 1.0, 0.0]) + 50, loss="mse", optimizer=sgd(1.0), iterations=1000)


def ones(shape, rng):
    return np.ones(shape)


def resume_with_another_optimizer(tmp_path):
    path = tmp_path / "run.ckpt.npz"
    fit(MLP([3, 1], seed=0), X, y, optimizer=adam(0.01), epochs=1, callbacks=[Checkpoint(path)])
    fit(MLP([3, 1], seed=0), X, y, optimizer=adam(0.02), epochs=2, resume_from=path)


CASES = {
    "X has the wrong number of columns": lambda t: fit(MLP([3, 1]), np.ones((4, 2)), y,
                                                       epochs=1),
    "X and y have different numbers of rows": lambda t: fit(MLP([3, 1]), X, y[:3], epochs=1),
    "y has the wrong number of columns": lambda t: fit(MLP([3, 1]), X, np.ones((4, 2)),
                                                       epochs=1),
    "NaN or inf in X": lambda t: fit(MLP([3, 1]), [[np.nan, 0, 1]] * 4, y, epochs=1),
    "NaN or inf in y": lambda t: fit(MLP([3, 1]), X, [0, 1, np.inf, 0], epochs=1),
    "strings in X": lambda t: fit(MLP([3, 1]), [["a", "b", "c"]] * 4, y, epochs=1),
    "empty data": lambda t: fit(MLP([3, 1]), np.ones((0, 3)), np.ones(0), epochs=1),
    "labels the model never saw (more classes than outputs)": lambda t: fit(
        MLP([3, 2], output_activation="softmax"), X, [0, 1, 2, 5],
        loss="softmax_crossentropy", epochs=1),
    "unknown activation": lambda t: MLP([3, 1], activation="swish"),
    "unknown optimizer": lambda t: fit(MLP([3, 1]), X, y, optimizer="newton", epochs=1),
    "unknown loss": lambda t: fit(MLP([3, 1]), X, y, loss="hinge", epochs=1),
    "negative learning rate": lambda t: sgd(-0.1),
    "momentum outside [0, 1)": lambda t: sgd(0.1, momentum=1.0),
    "batch size larger than the data": lambda t: fit(MLP([3, 1]), X, y, epochs=1,
                                                     batch_size=10),
    "validation_split outside (0, 1)": lambda t: fit(MLP([3, 1]), X, y, epochs=1,
                                                     validation_split=1.5),
    "dropout rate outside [0, 1)": lambda t: Dropout(1.0),
    "layer sizes that do not chain": lambda t: Sequential([Dense(3, 4), Dense(5, 1)]),
    "a corrupt model file": lambda t: load(corrupt(t)),
    "a file from another program": lambda t: load(foreign(t)),
    "a tampered model file": lambda t: load(tampered(t)),
    "a diverging run": lambda t: diverging(),
    "unknown array backend": lambda t: MLP([3, 1], backend="tpu"),
    "a config that cannot be written down": lambda t: MLP([3, 1], init=ones).get_config(),
    "a config with an option missing": lambda t: layer_from_config({"type": "Dense", "n_in": 3}),
    "resuming with another optimizer": lambda t: resume_with_another_optimizer(t),
}


def test_every_documented_mistake_has_a_case():
    assert sorted(documented()) == sorted(CASES)


@pytest.mark.parametrize("mistake", sorted(CASES))
def test_the_documented_message_is_the_one_raised(mistake, tmp_path):
    with pytest.raises(Exception) as caught:
        CASES[mistake](tmp_path)
    actual = f"{type(caught.value).__name__}: {caught.value}"
    expected = documented()[mistake]
    paths = sorted(tmp_path.iterdir())
    if paths:
        actual = actual.replace(str(paths[0]), "PATH")
    assert actual == expected
