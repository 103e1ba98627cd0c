"""The command line on a user's own table: the README's newcomer path, and each defect of
issue 9 (items 1-5) that it once had."""

import csv
import re

import numpy as np
import pytest
from table_files import write_rows

from mlplab import MLP, job, load, save
from mlplab.cli import main
from mlplab.data import Standardizer
from mlplab.io import read_metadata


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_rows(path):
    with path.open(newline="") as file:
        return list(csv.reader(file))


@pytest.fixture
def fruit(tmp_path):
    """200 rows: an ID, a number with gaps, a number, a text column with gaps, a constant
    column and a text label that depends on the rest."""
    rng = np.random.default_rng(0)
    n = 200
    size, weight = rng.normal(10, 3, n), rng.normal(50, 10, n)
    colour = rng.choice(["red", "green", "blue"], n)
    score = size * 0.8 - weight * 0.05 + (colour == "red") * 2 + rng.normal(0, 0.3, n)
    label = np.where(score > np.median(score), "good", "bad")
    rows = [[1000 + i, "" if i % 17 == 3 else f"{size[i]:.3f}", f"{weight[i]:.2f}",
             "" if i % 23 == 5 else colour[i], 7, label[i]] for i in range(n)]
    return write_rows(tmp_path / "fruit.csv", ["id", "size", "weight", "colour", "batch",
                                               "label"], rows)


def test_the_newcomer_path_from_a_raw_csv_to_onnx(capsys, tmp_path, fruit):
    model = tmp_path / "fruit.npz"
    code, out, err = run(capsys, "train", fruit, "--target", "label", "--drop", "id",
                         "--test-split", "0.2", "--save", model)
    assert code == 0, err
    assert "task: classification (2 classes: bad, good), from the text labels of 'label'" in out
    assert "'id': dropped (--drop), not used" in out and "'batch': constant, not used" in out
    assert re.search(r"'size': \d+ missing filled with the median", out)
    assert "'colour': text, one-hot encoded into 3 columns (blue, green, red)" in out
    assert "test split: 40 rows held out before fitting, 160 rows to train on" in out
    test_line = out.strip().splitlines()[-2]
    assert test_line.startswith("test: accuracy") and "on 40 rows" in test_line
    assert read_metadata(model)["test"]["accuracy"] > 0.8
    # New, unlabelled rows, columns in another order: predicted by name, with probabilities.
    rows = read_rows(fruit)
    new = write_rows(tmp_path / "new.csv", ["colour", "weight", "size", "id"],
                     [[r[3], r[2], r[1], r[0]] for r in rows[1:]])
    predictions = tmp_path / "predictions.csv"
    code, out, err = run(capsys, "predict", model, new, "--proba", "--output", predictions)
    assert code == 0, err
    written = read_rows(predictions)
    assert written[0] == ["label", "proba_bad", "proba_good"] and len(written) == 201
    labels = [r[0] for r in written[1:]]
    proba = np.array([[float(v) for v in r[1:]] for r in written[1:]])
    assert set(labels) <= {"bad", "good"}
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-9)
    assert np.mean(np.array(labels) == np.array([r[-1] for r in rows[1:]])) > 0.85
    # The ONNX file, on the raw columns (NaN for a gap, text as text), predicts the same.
    ort = pytest.importorskip("onnxruntime")
    code, out, err = run(capsys, "export", model, tmp_path / "fruit.onnx")
    assert code == 0, err
    assert "input: (batch, 2) numbers, NaN for missing, the columns 'size', 'weight'" in out
    numbers = np.array([[float(r[1]) if r[1] else np.nan, float(r[2])] for r in rows[1:]])
    colour = np.array([[r[3]] for r in rows[1:]], dtype=object)
    session = ort.InferenceSession(str(tmp_path / "fruit.onnx"),
                                   providers=["CPUExecutionProvider"])
    onnx_proba, onnx_labels = session.run(["output", "label"], {"input": numbers,
                                                                "colour": colour})
    np.testing.assert_allclose(onnx_proba, proba, rtol=1e-5, atol=1e-9)
    assert onnx_labels.tolist() == labels


def test_evaluate_says_what_it_scored(capsys, tmp_path, fruit):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", fruit, "--target", "label", "--drop", "id", "--save",
               model)[0] == 0
    code, out, err = run(capsys, "evaluate", model, fruit)
    assert code == 0, err
    assert out.startswith("scored 200 rows of fruit.csv (target 'label'): accuracy ")


@pytest.mark.filterwarnings("ignore::mlplab.job.NotConverged")
def test_the_test_split_is_held_out_before_the_preprocessing_is_fitted(monkeypatch, fruit):
    from mlplab.preprocessing import TablePreprocessor

    seen = []
    real_fit = TablePreprocessor.fit

    def fit(self, table, **kwargs):
        seen.append(table.n_rows)
        return real_fit(self, table, **kwargs)

    monkeypatch.setattr(TablePreprocessor, "fit", fit)
    settings = job.TrainSettings(data=str(fruit), target="label", drop=["id"], test_split=0.25,
                                 epochs=2, progress=False)
    _, _, metadata = job.train_job(settings)
    assert seen == [150] and metadata["test"]["rows"] == 50


def _integer_table(tmp_path, labels, name="data.csv"):
    rng = np.random.default_rng(1)
    labels = np.asarray(labels)
    X = rng.normal(size=(len(labels), 2)) + labels[:, None] * 0.5
    return write_rows(tmp_path / name, ["a", "b", "y"],
                      [[f"{x[0]:.4f}", f"{x[1]:.4f}", int(t)] for x, t in zip(X, labels,
                                                                            strict=True)])


def test_twenty_rows_of_whole_numbers_are_a_regression_not_248_classes(capsys, tmp_path):
    path = _integer_table(tmp_path, np.random.default_rng(0).choice(248, 20, replace=False))
    code, out, err = run(capsys, "train", path, "--target", "y", "--save", tmp_path / "m.npz",
                         "--epochs", "5")
    assert code == 0, err
    assert "task: regression" in out and "override with --task" in out
    assert load(tmp_path / "m.npz").n_outputs == 1


def test_labels_minus_one_and_one_are_two_classes(capsys, tmp_path):
    path = _integer_table(tmp_path, np.tile([-1, 1], 30))
    code, out, err = run(capsys, "train", path, "--target", "y", "--save", tmp_path / "m.npz",
                         "--epochs", "5")
    assert code == 0, err
    assert "task: classification (2 classes: -1, 1)" in out
    assert load(tmp_path / "m.npz").n_outputs == 2
    code, out, _ = run(capsys, "predict", tmp_path / "m.npz", path)
    assert out.splitlines()[0] == "y" and set(out.splitlines()[1:]) <= {"-1", "1"}


def test_labels_one_two_three_have_no_phantom_class_zero(capsys, tmp_path):
    path = _integer_table(tmp_path, np.tile([1, 2, 3], 20))
    code, out, err = run(capsys, "train", path, "--target", "y", "--save", tmp_path / "m.npz",
                         "--epochs", "5")
    assert code == 0, err
    assert "3 classes: 1, 2, 3" in out and load(tmp_path / "m.npz").n_outputs == 3
    code, out, _ = run(capsys, "predict", tmp_path / "m.npz", path, "--proba")
    lines = out.splitlines()
    assert lines[0] == "y,proba_1,proba_2,proba_3" and {line.split(",")[0]
                                                         for line in lines[1:]} <= {"1", "2", "3"}


def test_the_defaults_beat_predicting_the_mean_on_a_regression_far_from_zero(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = 150 + 40 * X[:, 0] - 20 * X[:, 1] ** 2 + rng.normal(0, 5, 300)
    path = write_rows(tmp_path / "r.csv", ["a", "b", "c", "y"],
                      [[*np.round(x, 4), round(t, 2)] for x, t in zip(X, y, strict=True)])
    code, _, err = run(capsys, "train", path, "--target", "y", "--test-split", "0.2",
                       "--save", tmp_path / "r.npz")
    assert code == 0, err
    scores = read_metadata(tmp_path / "r.npz")["test"]
    assert scores["mae"] < 0.35 * scores["mean_mae"]  # the mean predictor's MAE is about 40


def test_predict_matches_columns_by_name_and_never_takes_a_feature_for_the_target(
        capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    labelled = write_rows(tmp_path / "l.csv", ["a", "b", "c", "y"],
                          [[*np.round(x, 4), t] for x, t in zip(X, y, strict=True)])
    model = tmp_path / "m.npz"
    assert run(capsys, "train", labelled, "--target", "y", "--save", model, "--epochs",
               "30")[0] == 0
    reference = run(capsys, "predict", model, labelled)[1]
    unlabelled = write_rows(tmp_path / "u.csv", ["a", "b", "c"], np.round(X, 4).tolist())
    assert run(capsys, "predict", model, unlabelled)[1] == reference  # all three features
    reordered = write_rows(tmp_path / "o.csv", ["c", "a", "b"], np.round(X[:, [2, 0, 1]],
                                                                         4).tolist())
    assert run(capsys, "predict", model, reordered)[1] == reference
    for header, words in ((["a", "b"], "missing 'c'"), (["a", "b", "c", "d"], "unknown 'd'")):
        bad = write_rows(tmp_path / "bad.csv", header, [[1.0] * len(header)])
        code, _, err = run(capsys, "predict", model, bad)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1


def test_impute_none_refuses_missing_values_in_one_line(capsys, fruit):
    code, _, err = run(capsys, "train", fruit, "--target", "label", "--impute", "none")
    assert code == 2 and "no missing values in 'size'" in err
    assert len(err.strip().splitlines()) == 1


def test_the_epoch_cap_warns_when_the_validation_loss_still_improves(capsys, fruit):
    code, out, err = run(capsys, "train", fruit, "--target", "label", "--epochs", "3",
                         "--learning-rate", "0.0001")
    assert code == 0, err
    assert "warning: training reached the epoch cap (3) while the validation loss was still " \
           "improving" in out
    with pytest.warns(job.NotConverged, match="raise --epochs"):
        job.train_job(job.TrainSettings(data=str(fruit), target="label", epochs=3,
                                        learning_rate=1e-4, progress=False))


def test_small_data_gets_small_batches_and_early_stopping(capsys, fruit):
    code, out, err = run(capsys, "train", fruit, "--target", "label", "--ensemble", "1")
    assert code == 0, err
    # 200 rows: 160 to step on, 40 watched; batches of 160 // 10, decay 3 / 160
    assert re.search(r"in batches of 16 with weight decay 3/160 = 0\.0187: stopped early, the "
                     r"validation loss last improved at epoch (\d+); then trained afresh on "
                     r"all 200 training rows for the (\d+) steps to it", out), out
    best, steps = map(int, re.search(r"epoch (\d+); .* the (\d+) steps", out).groups())
    assert steps == best * 10  # ten batches of 16 an epoch


def test_a_model_file_with_the_old_standardizer_still_predicts(capsys, tmp_path):
    X = np.random.default_rng(0).normal(5, 2, size=(10, 2))
    net = MLP([2, 3, 2], output_activation="softmax", seed=0)
    scaler = Standardizer().fit(X)
    save(net, tmp_path / "old.npz", metadata={"task": "classification", "n_classes": 2,
                                              "standardizer": scaler.get_config(),
                                              "target": None, "data_seed": 0})
    data = write_rows(tmp_path / "x.csv", ["a", "b"], X.tolist())
    code, out, err = run(capsys, "predict", tmp_path / "old.npz", data)
    assert code == 0, err
    expected = net.predict(scaler.transform(X)).argmax(axis=1)
    assert out.splitlines() == ["prediction", *map(str, expected)]
    text = write_rows(tmp_path / "t.csv", ["a", "b"], [[1, "x"], [2, "y"]])
    for command in ("predict", "evaluate"):  # such a model takes numbers only, and says so
        code, _, err = run(capsys, command, tmp_path / "old.npz", text)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert f"The 'DATA' argument of mlplab {command} must be a table of finite numbers" in err
        assert "line 2 of t.csv" in err and "load_csv" not in err and "'path'" not in err


@pytest.mark.parametrize("suffix", [".tsv", ".npz", ".parquet"])
def test_other_table_formats_train_and_predict(capsys, tmp_path, suffix):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, "hi", "lo")
    path = tmp_path / f"t{suffix}"
    if suffix == ".tsv":
        path.write_text("p\tq\tkind\n" + "".join(f"{a}\t{b}\t{t}\n" for (a, b), t in
                                                 zip(X, y, strict=True)))
    elif suffix == ".npz":
        np.savez(path, X=X, y=y)
    else:
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"p": X[:, 0], "q": X[:, 1], "kind": y}), path)
    code, out, err = run(capsys, "train", path, "--save", tmp_path / "m.npz", "--epochs", "5")
    assert code == 0, err
    assert "classification (2 classes: hi, lo)" in out
    assert run(capsys, "predict", tmp_path / "m.npz", path)[0] == 0


def test_the_readme_walkthrough_on_the_shipped_example(capsys, tmp_path):
    """README "Your own table": the commands on examples/fruit.csv print what it shows."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ mlplab train examples/fruit.csv")[1].split("```")[0]
    code, out, err = run(capsys, "train", root / "examples" / "fruit.csv", "--target",
                         "quality", "--drop", "id", "--test-split", "0.2", "--save",
                         tmp_path / "fruit.npz")
    assert code == 0, err
    # The data's side is exact; the training's numbers only as the README shows them rounded.
    assert out.splitlines()[:9] == shown.strip().splitlines()[1:10]
    code, out, err = run(capsys, "predict", tmp_path / "fruit.npz",
                         root / "examples" / "fruit_new.csv", "--proba")
    assert code == 0 and out.splitlines()[0] == "quality,proba_good,proba_poor"
    assert len(out.splitlines()) == 9


def test_unseen_categories_are_noted_beside_the_predictions(capsys, tmp_path, fruit):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", fruit, "--target", "label", "--drop", "id", "--save", model,
               "--epochs", "5")[0] == 0
    new = write_rows(tmp_path / "new.csv", ["size", "weight", "colour"],
                     [[10, 50, "purple"], [9, 40, "red"]])
    code, out, err = run(capsys, "predict", model, new)
    assert code == 0 and out.splitlines()[0] == "label" and len(out.splitlines()) == 3
    assert "'colour': 1 values unseen in training ('purple') encoded as all zeros" in err
