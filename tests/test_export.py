"""ONNX export: the exported graph, run in onnxruntime, predicts what mlplab predicts."""

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, Dropout, Sequential, fit
from mlplab.cli import main
from mlplab.layers import Activation

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from mlplab.export import export_onnx, to_onnx  # noqa: E402


def run_onnx(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": X})[0]


def data(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(dtype)
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "linear"])
def test_mlp_round_trip_through_onnxruntime(tmp_path, activation):
    X, y = data()
    net = MLP([4, 8, 2], activation=activation, output_activation="softmax", seed=0)
    fit(net, X, y, loss="softmax_crossentropy", epochs=5)
    path = export_onnx(net, tmp_path / "model.onnx")
    np.testing.assert_allclose(run_onnx(path, X), net.predict(X), rtol=1e-5, atol=1e-7)


def test_batchnorm_dropout_and_float32(tmp_path):
    X, y = data(np.float32)
    net = Sequential([Dense(4, 6), BatchNorm(6), Activation("leaky_relu", slope=0.2),
                      Dropout(0.5, seed=0), Dense(6, 1, bias=False), Activation("sigmoid")],
                     seed=0, dtype="float32")
    fit(net, X, y, loss="binary_crossentropy", epochs=5, batch_size=10, seed=0)
    path = export_onnx(net, tmp_path / "bn.onnx")
    out = run_onnx(path, X)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, net.predict(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"momentum": None}, {"affine": False},
                                     {"track_running_stats": False},
                                     {"momentum": None, "affine": False,
                                      "track_running_stats": False}],
                         ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()) or "default")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_batchnorm_options(tmp_path, options, dtype):
    X, y = data(dtype)
    net = Sequential([Dense(4, 6), BatchNorm(6, eps=1e-3, **options), Activation("tanh"),
                      Dense(6, 1)], seed=0, dtype=np.dtype(dtype).name)
    fit(net, X, y, loss="mse", epochs=3, batch_size=10, seed=0)
    path = export_onnx(net, tmp_path / "bn.onnx")
    rtol, atol = (1e-12, 1e-14) if dtype == np.float64 else (1e-5, 1e-6)
    np.testing.assert_allclose(run_onnx(path, X), net.predict(X), rtol=rtol, atol=atol)
    # Without running statistics the graph normalizes each batch it is given, as predict does.
    np.testing.assert_allclose(run_onnx(path, X[:7]), net.predict(X[:7]), rtol=rtol, atol=atol)


def test_populations_are_refused():
    with pytest.raises(ValueError, match="single model"):
        to_onnx(MLP([2, 1], seed=[0, 1]))


def test_cli_export(tmp_path, capsys):
    from mlplab import save

    X, _ = data()
    net = MLP([4, 3, 1], seed=0)
    save(net, tmp_path / "m.npz")
    assert main(["export", str(tmp_path / "m.npz"), str(tmp_path / "m.onnx")]) == 0
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", X), net.predict(X), rtol=1e-5,
                               atol=1e-7)
    assert "m.onnx" in capsys.readouterr().out


def test_cli_export_carries_the_preprocessing_of_a_trained_model(tmp_path, capsys):
    """The graph takes the raw columns: missing values filled, inputs and target scaled as
    `mlplab train` did, so onnxruntime gives what `mlplab predict` gives."""
    rng = np.random.default_rng(0)
    X = rng.normal(loc=[100.0, -3.0, 0.01], scale=[20.0, 1.0, 0.002], size=(120, 3))
    y = 500 + 3 * X[:, 0] - 40 * X[:, 1] + rng.normal(0, 5, 120)
    lines = ["w,x,z,price", *(",".join("" if (i + j) % 29 == 0 else f"{v:.6g}"
                                       for j, v in enumerate(x)) + f",{t:.3f}"
                              for i, (x, t) in enumerate(zip(X, y, strict=True)))]
    (tmp_path / "prices.csv").write_text("\n".join(lines) + "\n")
    model, onnx_file = tmp_path / "p.npz", tmp_path / "p.onnx"
    assert main(["train", str(tmp_path / "prices.csv"), "--target", "price", "--save",
                 str(model)]) == 0
    assert main(["export", str(model), str(onnx_file)]) == 0
    assert "output: (batch, 1) predicted 'price' in its units" in capsys.readouterr().out
    assert main(["predict", str(model), str(tmp_path / "prices.csv")]) == 0
    predicted = np.array([float(v) for v in capsys.readouterr().out.split()[1:]])
    raw = np.array([[float(v) if v else np.nan for v in line.split(",")[:3]]
                    for line in lines[1:]])
    assert np.isnan(raw).any()
    np.testing.assert_allclose(run_onnx(onnx_file, raw)[:, 0], predicted, rtol=1e-5)
    assert np.mean(np.abs(predicted - y)) < 0.3 * np.mean(np.abs(y - y.mean()))


def test_a_text_column_named_like_a_tensor_of_the_graph_is_refused():
    config = {"columns": ["a", "W0", "y"], "target": "y", "task": "regression",
              "impute": "median", "numbers": [{"name": "a", "fill": 0.0, "mean": 0.0,
                                               "scale": 1.0}],
              "texts": [{"name": "W0", "categories": ["p", "q"], "fill": "p"}],
              "ignored": {}, "summary": [], "target_mean": 0.0, "target_scale": 1.0}
    with pytest.raises(ValueError, match=r"graph's own tensors. Got the columns \['W0'\]"):
        to_onnx(MLP([3, 2, 1], seed=0), preprocessing=config)
    config["texts"][0]["name"] = "label"
    with pytest.raises(ValueError, match="'input', 'output' and 'label'"):
        to_onnx(MLP([3, 2, 1], seed=0), preprocessing=config)
