"""`mlplab race`: the GIF, the PNGs, the tables, and errors that name the flag."""

import numpy as np
import pytest

from mlplab.cli import main


def run(capsys, *args):
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_race_writes_an_animated_gif_and_prints_the_table(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    out = tmp_path / "race.gif"
    status, printed, err = run(capsys, "race", "--optimizers", "sgd,momentum,adam", "--steps",
                               "12", "--frames", "6", "--out", out)
    assert status == 0, err
    assert "momentum" in printed and f"wrote {out}" in printed
    with Image.open(out) as gif:
        assert gif.n_frames >= 5
        gif.seek(2)
        assert np.asarray(gif.convert("RGB")).std() > 0


def test_race_writes_a_png_of_another_function_from_a_given_start(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "paths.png"
    status, printed, err = run(capsys, "race", "--function", "rosenbrock", "--optimizers",
                               "adam,rmsprop", "--learning-rates", "adam=0.02", "--start=-1,1",
                               "--steps", "20", "--out", out)
    assert status == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "20 steps from (-1, 1)" in printed and "0.02" in printed


def test_the_data_race_prints_loss_and_accuracy_and_draws_the_curves(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "curves.png"
    status, printed, err = run(capsys, "race", "--data", "moons", "--optimizers",
                               "sgd,momentum,adam", "--epochs", "3", "--layers", "4",
                               "--out", out)
    assert status == 0, err
    assert "final accuracy" in printed and printed.count("\n") >= 5
    assert out.stat().st_size > 1000


@pytest.mark.parametrize("args, flag", [
    ("--optimizers sgd,lbfgs", "--optimizers"),
    ("--optimizers nope", "--optimizers"),
    ("--function nowhere", "--function"),
    ("--out race.txt", "--out"),
    ("--data moons --out curves.gif", "--out"),
    ("--data moons --steps 3", "--steps"),
    ("--epochs 3", "--epochs"),
    ("--start 1,2,3", "--start"),
    ("--learning-rates sgd=fast", "--learning-rates"),
    ("--learning-rates adam=0.1 --optimizers sgd", "--learning-rates"),
    ("--data nowhere.csv", "--data"),
    ("--data moons --seed -1", "--seed"),
])
def test_mistakes_get_one_line_naming_the_flag(capsys, args, flag):
    status, _, err = run(capsys, "race", *args.split())
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"'{flag}' parameter of mlplab race" in err, err


def test_an_output_in_a_missing_folder_is_refused_before_any_work(capsys, tmp_path):
    status, printed, err = run(capsys, "race", "--out", tmp_path / "nowhere" / "race.gif")
    assert status == 2 and "'--out'" in err and printed == ""
