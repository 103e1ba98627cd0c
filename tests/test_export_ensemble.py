"""ONNX export of a population as an ensemble: one graph whose output is the members' mean."""

import warnings

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, Dropout, Sequential, fit, job, save
from mlplab.cli import main
from mlplab.data.table import Table, read_table
from mlplab.job.training import NotConverged
from mlplab.layers import Activation, DropConnect
from mlplab.preprocessing import TablePreprocessor

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from mlplab.export import export_onnx, onnx_interface, to_onnx  # noqa: E402

K = 3


def session_of(proto_or_path):
    source = proto_or_path if isinstance(proto_or_path, str) else \
        proto_or_path.SerializeToString()
    return ort.InferenceSession(source, providers=["CPUExecutionProvider"])


def outputs_of(session, feeds):
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds), strict=True))


def data(dtype=np.float64, n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(dtype)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def classifier(hidden):
    return [*hidden, Dense(6, 2), Activation("softmax")], "softmax_crossentropy"


ARCHITECTURES = {
    "relu softmax": lambda: classifier([Dense(4, 6), Activation("relu")]),
    "tanh linear": lambda: ([Dense(4, 6), Activation("tanh"), Dense(6, 2)], "mse"),
    "leaky relu, no-bias dense": lambda: classifier(
        [Dense(4, 6, bias=False), Activation("leaky_relu", slope=0.3)]),
    "batchnorm running stats, dropout": lambda: classifier(
        [Dense(4, 6), BatchNorm(6, eps=1e-3), Activation("tanh"), Dropout(0.3, seed=0)]),
    "batchnorm cumulative, no affine": lambda: (
        [Dense(4, 6), BatchNorm(6, momentum=None, affine=False), Activation("relu"),
         Dense(6, 2)], "mse"),
    "batchnorm batch statistics": lambda: classifier(
        [Dense(4, 6), BatchNorm(6, track_running_stats=False), Activation("relu")]),
    "batchnorm batch statistics, no affine": lambda: (
        [Dense(4, 6), BatchNorm(6, affine=False, track_running_stats=False),
         Activation("sigmoid"), Dense(6, 2)], "mse"),
    "batchnorm first": lambda: classifier(
        [BatchNorm(4, track_running_stats=False), Dense(4, 6), Activation("tanh")]),
    "dropconnect": lambda: (
        [DropConnect(4, 6, 0.4, seed=0), Activation("tanh"),
         DropConnect(6, 2, 0.2, bias=False)], "mse"),
}


def trained_population(architecture, dtype):
    layers, loss = ARCHITECTURES[architecture]()
    X, y = data(dtype)
    net = Sequential(layers, seed=list(range(K)), dtype=np.dtype(dtype).name)
    target = y if loss == "softmax_crossentropy" else np.stack([X[:, 0] * X[:, 1], X[:, 2]], 1)
    before = [np.array(p) for p in net.params]
    fit(net, X, target, loss=loss, epochs=3, batch_size=15, seed=0)
    # every weight matrix moved (a bias just before BatchNorm has no gradient: BN removes it)
    assert all(not np.allclose(a, np.array(p)) for a, p in zip(before, net.params, strict=True)
               if a.ndim == 3)
    return net, X


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_the_graph_returns_the_mean_of_the_members(architecture, dtype):
    net, X = trained_population(architecture, dtype)
    members = np.asarray(net.predict(X))
    assert members.shape == (K, len(X), 2)
    expected = members.mean(axis=0)
    # the members differ, so a graph that returned one of them would fail
    assert np.abs(members - expected).max() > 1e-3
    out = outputs_of(session_of(to_onnx(net, ensemble=True)), {"input": X})["output"]
    assert out.dtype == dtype and out.shape == (len(X), 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    if architecture.startswith("batchnorm batch"):  # each batch its own statistics, per member
        np.testing.assert_allclose(
            outputs_of(session_of(to_onnx(net, ensemble=True)), {"input": X[:9]})["output"],
            np.asarray(net.predict(X[:9])).mean(axis=0), rtol=1e-5, atol=1e-5)


def test_export_onnx_writes_the_ensemble(tmp_path):
    net, X = trained_population("relu softmax", np.float64)
    path = export_onnx(net, tmp_path / "e.onnx", ensemble=True)
    out = outputs_of(session_of(str(path)), {"input": X})["output"]
    np.testing.assert_allclose(out, np.asarray(net.predict(X)).mean(axis=0), rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(out.sum(axis=1), 1, atol=1e-9)


# -- behind a TablePreprocessor: raw columns with gaps and text --------------------------------

def table(n, seed, task):
    """Two number columns with NaNs, a text column with gaps, and a target."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(10, 3, n), rng.normal(-2, 0.5, n)
    colour = rng.choice(["red", "green", "blue"], n).astype(object)
    score = (a - 10) / 3 + 2 * (b + 2) + (colour == "red") * 1.5
    a[::7], b[3::11] = np.nan, np.nan
    colour[2::9] = None
    target = (np.where(score > 0, "yes", "no").astype(object) if task == "classification"
              else 100 + 20 * score)
    return Table(["a", "colour", "b", "y"], [a, colour, b, target], source="rows.csv")


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_raw_columns_to_the_averaged_population(task):
    train, new = table(150, 0, task), table(40, 1, task)
    pre = TablePreprocessor().fit(train, target="y", task=task)
    n_out = 2 if task == "classification" else 1
    net = MLP([pre.n_inputs, 8, n_out], activation="tanh", seed=list(range(K)),
              output_activation="softmax" if task == "classification" else "linear")
    X = pre.transform(train)
    target = (np.array([pre.classes.index(v) for v in train.column("y")])
              if task == "classification"
              else ((train.column("y") - pre.config["target_mean"])
                    / pre.config["target_scale"])[:, None])
    fit(net, X, target, epochs=5, batch_size=30, seed=0,
        loss="softmax_crossentropy" if task == "classification" else "mse")
    mean = np.asarray(net.predict(pre.transform(new))).mean(axis=0)
    session = session_of(to_onnx(net, preprocessing=pre.config, ensemble=True))
    feeds = {"input": np.stack([new.column("a"), new.column("b")], axis=1),
             "colour": np.array([v or "" for v in new.column("colour")], dtype=object)[:, None]}
    assert np.isnan(feeds["input"]).any() and (feeds["colour"] == "").any()
    got = outputs_of(session, feeds)
    if task == "classification":
        np.testing.assert_allclose(got["output"], mean, rtol=1e-5, atol=1e-7)
        assert got["label"].tolist() == pre.decode(mean).tolist()
        assert len(set(got["label"].tolist())) == 2
    else:
        np.testing.assert_allclose(got["output"][:, 0], pre.decode(mean), rtol=1e-5)
    line = onnx_interface(net, pre.config, ensemble=True)[-1]
    assert line.startswith("  output: ") and f"averaged over the {K} networks" in line


# -- refusals -------------------------------------------------------------------------------

def test_a_population_without_ensemble_says_how_to_export_it():
    with pytest.raises(ValueError, match=r"'model' parameter of to_onnx must be a single "
                       r"model .*ensemble=True.* mean\)\. Got a population of 3"):
        to_onnx(MLP([2, 1], seed=[0, 1, 2]))
    with pytest.raises(ValueError, match=r"'model' parameter of export_onnx .*ensemble=True"):
        export_onnx(MLP([2, 1], seed=[0, 1, 2]), "never.onnx")


def test_ensemble_on_a_single_model_is_refused():
    for call in (lambda: to_onnx(MLP([2, 1], seed=0), ensemble=True),
                 lambda: export_onnx(MLP([2, 1], seed=0), "never.onnx", ensemble=True)):
        with pytest.raises(ValueError, match=r"'ensemble' parameter of \w+ must be False for "
                           r"a single model .*Got True with a single model"):
            call()


@pytest.mark.parametrize("value", ["yes", 1, None, np.array([True])])
def test_ensemble_must_be_a_bool(value):
    with pytest.raises(ValueError, match="'ensemble' parameter of to_onnx must be True or "
                       "False"):
        to_onnx(MLP([2, 1], seed=[0, 1]), ensemble=value)


def test_a_population_with_two_axes_is_refused():
    net = MLP([2, 1], seed=list(range(6)))
    net.population = (2, 3)  # what a grid of populations would record
    for ensemble in (True, False):
        with pytest.raises(ValueError, match=r"'model' parameter of to_onnx .*population "
                           r"with one axis .*Got a population of shape \(2, 3\)"):
            to_onnx(net, ensemble=ensemble)


# -- the command line -----------------------------------------------------------------------

def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    """A CSV with gaps and a text column, and the metadata of a real train_job run on it."""
    folder = tmp_path_factory.mktemp("csv")
    rows = table(120, 2, "classification")
    lines = ["a,colour,b,y"] + [
        ",".join("" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
                 for v in row) for row in zip(*rows.columns, strict=True)]
    csv = folder / "rows.csv"
    csv.write_text("\n".join(lines) + "\n")
    with warnings.catch_warnings():  # 5 epochs do not converge, and need not here
        warnings.simplefilter("ignore", NotConverged)
        _, _, metadata = job.train_job(job.TrainSettings(data=str(csv), target="y",
                                                         progress=False, epochs=5, layers=[8],
                                                         ensemble=1))
    return csv, metadata


def population_for(metadata, members):
    pre = TablePreprocessor.from_config(metadata["preprocessing"])
    net = MLP([pre.n_inputs, 8, len(pre.classes)], output_activation="softmax",
              seed=list(range(members)))
    return net, pre


def test_cli_exports_a_file_that_records_an_ensemble(trained_file, tmp_path, capsys):
    csv, metadata = trained_file
    net, pre = population_for(metadata, K)
    rows = read_table(csv)
    X = pre.transform(rows)
    fit(net, X, np.array([pre.classes.index(v) for v in rows.column("y")]), epochs=3,
        loss="softmax_crossentropy", batch_size=20, seed=0)
    save(net, tmp_path / "e.npz", metadata={**metadata, "ensemble": K})
    code, out, err = run(capsys, "export", tmp_path / "e.npz", tmp_path / "e.onnx")
    assert code == 0, err
    assert f"), averaged over the {K} networks; label" in out
    mean = np.asarray(net.predict(X)).mean(axis=0)
    feeds = {"input": np.stack([rows.column("a"), rows.column("b")], axis=1),
             "colour": np.array([v or "" for v in rows.column("colour")], dtype=object)[:, None]}
    got = outputs_of(session_of(str(tmp_path / "e.onnx")), feeds)
    np.testing.assert_allclose(got["output"], mean, rtol=1e-5, atol=1e-7)
    assert got["label"].tolist() == pre.decode(mean).tolist()


@pytest.mark.parametrize("members, recorded", [(K, K + 1), (K, "3"), (K, True), (K, 1),
                                               (K, None), (1, 2), (0, 2)],
                         ids=["too many", "text", "bool", "one", "null", "population of 1",
                              "single model"])
def test_cli_refuses_an_ensemble_record_that_does_not_match(trained_file, tmp_path, capsys,
                                                            members, recorded):
    _, metadata = trained_file
    net, _ = population_for(metadata, max(members, 1))
    if members == 0:
        net = MLP([net.n_inputs, 8, net.n_outputs], output_activation="softmax", seed=0)
    save(net, tmp_path / "bad.npz", metadata={**metadata, "ensemble": recorded})
    code, out, err = run(capsys, "export", tmp_path / "bad.npz", tmp_path / "bad.onnx")
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("mlplab export: error: ") and "bad.npz is damaged" in lines[0]
    assert f'"ensemble": {recorded!r}' in lines[0]
    assert not (tmp_path / "bad.onnx").exists()


def test_cli_a_population_without_the_record_is_one_line(trained_file, tmp_path, capsys):
    _, metadata = trained_file
    net, _ = population_for(metadata, K)
    save(net, tmp_path / "pop.npz", metadata=metadata)
    code, _, err = run(capsys, "export", tmp_path / "pop.npz", tmp_path / "pop.onnx")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "The 'MODEL' argument of mlplab export must be one network, or an ensemble" in err
    assert "population of 3 models saved without the \"ensemble\" record" in err
