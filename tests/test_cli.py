"""`mlplab train`, `predict` and `evaluate`: flags, TOML configs, files, errors, Ctrl-C."""

import numpy as np
import pytest

from mlplab import job, load
from mlplab.cli import main
from mlplab.data import load as load_data
from mlplab.io import read_metadata


def run(capsys, *args):
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3
    path = tmp_path / "data.csv"
    rows = ["a,b,c,value", *(",".join(f"{v:.6f}" for v in (*x, t))
                             for x, t in zip(X, y, strict=True))]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_train_save_evaluate_predict_on_a_built_in_set(capsys, tmp_path):
    pytest.importorskip("sklearn")
    model = tmp_path / "iris.npz"
    code, out, _ = run(capsys, "train", "iris", "--layers", "16", "--epochs", "60",
                       "--learning-rate", "0.01", "--save", str(model), "--seed", "1")
    assert code == 0 and "classification" in out and model.exists()
    assert read_metadata(model)["n_classes"] == 3
    code, out, _ = run(capsys, "evaluate", str(model), "iris")
    assert code == 0 and out.startswith("scored 150 rows of iris (target 'target'): accuracy ")
    assert float(out.split("accuracy ")[1].split(",")[0]) > 0.9
    code, out, _ = run(capsys, "predict", str(model), "iris", "--output",
                       str(tmp_path / "p.csv"))
    assert code == 0
    assert (tmp_path / "p.csv").read_text().startswith("target\n")
    predictions = np.loadtxt(tmp_path / "p.csv", skiprows=1)
    assert predictions.shape == (150,) and set(predictions) <= {0.0, 1.0, 2.0}
    assert np.mean(predictions == load_data("iris").y) > 0.9


def test_train_from_a_toml_config_on_a_csv_file(capsys, tmp_path, regression_csv):
    config = tmp_path / "run.toml"
    config.write_text(f'data = "{regression_csv}"\ntarget = "value"\nlayers = [8]\n'
                      'epochs = 200\nlearning_rate = 0.01\noptimizer = "adam"\n'
                      'early_stopping = false\n')
    model = tmp_path / "reg.npz"
    code, out, err = run(capsys, "train", "--config", str(config), "--save", str(model),
                         "--epochs", "150")  # flags win over the file
    assert code == 0, err
    assert "task: regression" in out and "trained for 150 epochs" in out
    net = load(model)
    assert net.n_inputs == 3 and net.n_outputs == 1
    code, out, _ = run(capsys, "evaluate", str(model), str(regression_csv))
    assert code == 0 and float(out.split("MAE ")[1].split(",")[0]) < 0.5


def test_resume_continues_from_the_checkpoint(capsys, tmp_path):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "moons", "--epochs", "4", "--save", str(model),
               "--seed", "0")[0] == 0
    whole = load(model).get_weights()
    assert run(capsys, "train", "moons", "--epochs", "2", "--save", str(tmp_path / "half.npz"),
               "--seed", "0")[0] == 0
    code, _, err = run(capsys, "train", "moons", "--epochs", "4", "--seed", "0", "--save",
                       str(tmp_path / "resumed.npz"), "--resume",
                       str(tmp_path / "half.npz.ckpt.npz"))
    assert code == 0, err
    for a, b in zip(load(tmp_path / "resumed.npz").get_weights(), whole, strict=True):
        np.testing.assert_array_equal(a, b)


def test_ctrl_c_before_the_first_epoch_ends_says_nothing_was_saved(capsys, monkeypatch,
                                                                   tmp_path):
    def interrupted(settings, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(job, "train_job", interrupted)
    code, _, err = run(capsys, "train", "moons", "--save", str(tmp_path / "m.npz"))
    assert code == 130 and "nothing was saved yet" in err and "m.npz.ckpt.npz" in err
    assert "--resume" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["train", "nothing"], "'DATA'"),
        (["train", "moons", "--optimizer", "adamx"], "'--optimizer'"),
        (["train", "moons", "--activation", "swish"], "'--activation'"),
        (["train", "moons", "--learning-rate=-1"], "'--learning-rate'"),
        (["train", "moons", "--batch-size", "100000"], "'--batch-size'"),
        (["train", "moons", "--config", "/nonexistent.toml"], "'--config'"),
        (["predict", "/nonexistent.npz", "moons"], "No mlplab model file"),
        (["train"], "'DATA'"),
    ],
)
def test_user_mistakes_get_one_line_and_exit_2(capsys, args, fragment):
    code, _, err = run(capsys, *args)
    assert code == 2 and fragment in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_corrupt_model_file_is_a_user_mistake(capsys, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    code, _, err = run(capsys, "evaluate", str(bad), "moons")
    assert code == 2 and "not a readable mlplab model file" in err


def test_surface_writes_two_pictures(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out, line = tmp_path / "s.png", tmp_path / "l.png"
    code, _, err = run(capsys, "surface", "--iterations", "300", "--grid", "11",
                          "--weights", "0,W,1,2;2,W,3,0", "--out", str(out), "--slice",
                          str(line))
    assert code == 0, err
    for picture in (out, line):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_surface_rejects_a_malformed_weight_pair(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["surface", "--weights", "0,W,0"])
    assert exit_info.value.code == 2 and "layer,W,i,j" in capsys.readouterr().err


def test_train_plot_writes_loss_curves(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, _, err = run(capsys, "train", "moons", "--epochs", "3", "--plot",
                         str(tmp_path / "loss.png"))
    assert code == 0, err
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_prints_the_best_and_writes_csv_and_heatmap(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, err = run(capsys, "sweep", "--hidden", "3,5", "--alpha", "1,10",
                         "--iterations", "1001", "--every", "500", "--csv",
                         str(tmp_path / "s.csv"), "--plot", str(tmp_path / "s.png"))
    assert code == 0, err
    assert out.startswith("4 configurations; best: alpha=10.0")
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert len(rows) == 1 + 4 * 4  # header; per config iterations 0, 500, 1000 and the final
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_sweep_reads_a_toml_config_and_flags_win(capsys, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text("alpha = [0.5, 5.0]\nhidden = [2]\niterations = 200\nevery = 100\n")
    code, out, err = run(capsys, "sweep", "--config", str(config), "--alpha", "1")
    assert code == 0, err
    assert out.startswith("1 configurations; best: alpha=1.0, hidden=2")
    config.write_text("alphas = [1.0]\n")
    code, _, err = run(capsys, "sweep", "--config", str(config))
    assert code == 2 and "unknown keys ['alphas']" in err
