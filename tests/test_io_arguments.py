"""Arguments of save, load and read_metadata: one-template errors at the call, before any work."""

import numpy as np
import pytest

from mlplab import MLP, Dense, load, save
from mlplab.io import read_metadata


@pytest.fixture
def net():
    return MLP([3, 2, 1], seed=0)


BAD_PATHS = [
    (3, "a file path (str or os.PathLike). Got 3 instead."),
    (None, "a file path (str or os.PathLike). Got None instead."),
    (b"model.npz", "a file path (str or os.PathLike). Got b'model.npz' instead."),
    (["model.npz"], "a file path (str or os.PathLike). Got ['model.npz'] instead."),
    ("", "a non-empty file path. Got '' instead."),
    ("model\0.npz", "a file path without NUL characters. Got 'model\\x00.npz' instead."),
]


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_load_refuses_a_path_that_is_not_one(path, message):
    with pytest.raises(ValueError) as caught:
        load(path)
    assert str(caught.value) == "The 'path' parameter of load must be " + message


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_read_metadata_refuses_a_path_that_is_not_one(path, message):
    with pytest.raises(ValueError) as caught:
        read_metadata(path)
    assert str(caught.value) == "The 'path' parameter of read_metadata must be " + message


@pytest.mark.parametrize(("path", "message"), BAD_PATHS)
def test_save_refuses_a_path_that_is_not_one(net, tmp_path, monkeypatch, path, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as caught:
        save(net, path)
    assert str(caught.value) == "The 'path' parameter of save must be " + message
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_folder(net, tmp_path):
    with pytest.raises(ValueError, match="'path' parameter of save must be the path of a file, "
                                         "not of a folder"):
        save(net, tmp_path)


def test_save_refuses_what_is_not_a_model(tmp_path):
    for thing, expected in [
        ("model", "a model (Sequential or MLP). Got 'model' instead."),
        (None, "a model (Sequential or MLP). Got None instead."),
        (Dense(2, 2), "a model (Sequential or MLP), not a layer: wrap it as "
                      "Sequential([layer]). Got Dense(n_in=2, n_out=2, bias=True) instead."),
    ]:
        with pytest.raises(ValueError) as caught:
            save(thing, tmp_path / "m.npz")
        assert str(caught.value) == "The 'model' parameter of save must be " + expected
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_a_fitted_estimator_and_says_what_it_wants(tmp_path):
    from mlplab.sklearn import MLPRegressor

    X = np.random.default_rng(0).normal(size=(20, 2))
    estimator = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2).fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"'model' parameter of save must be a model "
                                         r"\(Sequential or MLP\)"):
        save(estimator, tmp_path / "m.npz")
    save(estimator.model_, tmp_path / "m.npz")  # what it should have been


@pytest.mark.parametrize(("metadata", "seen"), [
    ({"scale": np.ones(3)}, "Object of type ndarray is not JSON serializable under the key "
                            "'scale'"),
    ({"ok": 1, "fn": print}, "Object of type builtin_function_or_method is not JSON "
                             "serializable under the key 'fn'"),
    ({1: "one"}, "the key 1"),
    (["task", "classify"], "['task', 'classify']"),
])
def test_save_refuses_metadata_that_is_not_json_and_names_the_key(net, tmp_path, metadata,
                                                                  seen):
    with pytest.raises(ValueError) as caught:
        save(net, tmp_path / "m.npz", metadata=metadata)
    assert str(caught.value) == (
        "The 'metadata' parameter of save must be None or a dict of JSON-able values (str, "
        "int, float, bool, None, lists and dicts of those) under str keys. Got "
        f"{seen} instead.")
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_metadata_that_loading_would_refuse(net, tmp_path):
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError, match="'metadata' parameter of save must be nested at most "
                                         "63 deep"):
        save(net, tmp_path / "m.npz", metadata={"deep": deep})
    with pytest.raises(ValueError, match="'metadata' parameter of save must be small enough "
                                         "for a file header of at most 1048576 bytes"):
        save(net, tmp_path / "m.npz", metadata={"big": "x" * (1 << 20)})
    assert list(tmp_path.iterdir()) == []
    nested = []
    for _ in range(61):  # with the dict around it: 63 deep, the most
        nested = [nested]
    path = save(net, tmp_path / "m.npz", metadata={"deep": nested})
    assert read_metadata(path) == {"deep": nested}


def test_save_refuses_a_population_too_costly_to_rebuild(tmp_path):
    many = MLP([1, 1], bias=False, seed=[None] * 17_000)
    with pytest.raises(ValueError, match="at most 32768 layers x population members"):
        save(many, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []


def test_load_checks_the_backend_before_reading(tmp_path):
    with pytest.raises(ValueError, match="'backend' parameter of load must be one of"):
        load(tmp_path / "missing.npz", backend="tpu")
