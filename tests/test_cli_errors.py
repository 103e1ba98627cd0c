"""The command line never shows a traceback for a user or operating-system error.

Every subcommand runs against a table of mistakes and failures (outputs that are
folders, folders that cannot be written, a full disk, unreadable or hostile
inputs, a diverging run, TOML values of the wrong type): each prints one line
naming the flag, key or file, and exits with status 2.
"""

import errno
import os

import numpy as np
import pytest

from mlplab import MLP, save
from mlplab.cli import main


@pytest.fixture
def files(tmp_path):
    """A folder, a model, a huge-field CSV, a non-UTF-8 CSV, bad TOML files, a diverging CSV."""
    (tmp_path / "folder").mkdir()
    save(MLP([4, 3, 3], output_activation="softmax", seed=0), tmp_path / "model.npz")
    (tmp_path / "long.csv").write_text("a,b,label\n" + "x" * 200_000 + ",1,0\n1,2,1\n")
    (tmp_path / "latin.csv").write_bytes(b"a,b\n\xff\xfe,1\n2,3\n")
    (tmp_path / "data5.toml").write_text("data = 5\n")
    (tmp_path / "hidden.toml").write_text('hidden = [4, "x"]\n')
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04" + os.urandom(300))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)) * 100
    rows = np.column_stack([X, X @ [3.0, 2.0, 1.0] * 1000])
    np.savetxt(tmp_path / "explodes.csv", rows, delimiter=",", header="a,b,c,y", comments="")
    return tmp_path


CASES = {
    "train --save to a folder": "train iris --epochs 1 --save {d}/folder",
    "train --checkpoint to a folder": "train iris --epochs 1 --checkpoint {d}/folder",
    "train --plot into a missing folder": "train iris --epochs 1 --plot {d}/nowhere/loss.png",
    "predict --output to a folder": "predict {d}/model.npz iris --output {d}/folder",
    "export to a folder": "export {d}/model.npz {d}/folder",
    "sweep --csv to a folder": "sweep --hidden 2 --iterations 10 --csv {d}/folder",
    "surface --out to a folder": "surface --out {d}/folder",
    "reproduce --plot to a folder": "reproduce notebook --plot {d}/folder",
    "a CSV with a 200000-character field": "train {d}/long.csv --target label",
    "a CSV that is not UTF-8": "train {d}/latin.csv --target b",
    "TOML data = 5": "train --config {d}/data5.toml",
    "TOML list of the wrong type": "sweep --config {d}/hidden.toml",
    "a model file that is not one": "predict {d}/garbage.npz iris",
    "a diverging run": "train {d}/explodes.csv --target y --optimizer sgd --learning-rate 10 "
                       "--epochs 50 --no-standardize",
}


def run(capsys, command):
    status = main(command.split())
    captured = capsys.readouterr()
    return status, captured.err


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_line_and_status_2(case, files, capsys):
    status, err = run(capsys, CASES[case].format(d=files))
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("mlplab "), err


def test_a_full_disk_is_one_line(files, capsys, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    status, err = run(capsys, f"export {files}/model.npz {files}/model.onnx"
                      if _has_onnx() else f"train iris --epochs 1 --save {files}/m.npz")
    assert status == 2 and "No space left on device" in err and len(err.splitlines()) == 1


def test_a_folder_that_cannot_be_written_is_refused_before_training(files, capsys,
                                                                      monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as a read-only folder says
    status, err = run(capsys, f"train iris --epochs 500 --save {files}/m.npz")
    assert status == 2 and "'--save'" in err and "cannot be written" in err


def _has_onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        return False
    return True


# Every flag of every command, each with a bad value, and what the message must name: the
# flag (or argument) the user wrote, never the library's parameter. A flag that takes no
# value (a switch) has nothing bad to give and is listed in SWITCHES.
BAD_FLAGS = {
    "train": {
        "DATA": ("train nothing", "'DATA'"),
        "--config": ("train moons --config {d}/missing.toml", "'--config'"),
        "--target": ("train {d}/explodes.csv --target zz", "'zz'"),
        "--drop": ("train {d}/explodes.csv --target y --drop zz", "'--drop'"),
        "--delimiter": ("train {d}/explodes.csv --delimiter ab", "'--delimiter'"),
        "--impute": ("train moons --impute mean", "--impute"),
        "--test-split": ("train moons --test-split 2", "'--test-split'"),
        "--task": ("train moons --task weird", "--task"),
        "--layers": ("train moons --layers 0", "'--layers'"),
        "--activation": ("train moons --activation swish", "'--activation'"),
        "--optimizer": ("train moons --optimizer adamx", "'--optimizer'"),
        "--learning-rate": ("train moons --learning-rate=-1", "'--learning-rate'"),
        "--epochs": ("train moons --epochs 0", "--epochs"),
        "--batch-size": ("train moons --batch-size 100000", "'--batch-size'"),
        "--validation-split": ("train moons --validation-split 2", "'--validation-split'"),
        "--loss": ("train moons --loss mse", "'--loss'"),
        "--weight-decay": ("train moons --weight-decay=-1", "'--weight-decay'"),
        "--clip-norm": ("train moons --clip-norm 0", "'--clip-norm'"),
        "--patience": ("train moons --patience=-1", "'--patience'"),
        "--dropconnect": ("train moons --dropconnect 2", "'--dropconnect'"),
        "--dropout": ("train moons --dropout 1", "'--dropout'"),
        "--ensemble": ("train moons --ensemble 0", "--ensemble"),
        "--seed": ("train moons --seed=-1", "'--seed'"),
        "--save": ("train moons --save {d}/folder", "'--save'"),
        "--checkpoint": ("train moons --optimizer lbfgs --checkpoint {d}/c.npz",
                         "'--checkpoint'"),
        "--resume": ("train --resume {d}/missing.npz", "--resume"),
        "--plot": ("train moons --plot {d}/nowhere/p.png", "'--plot'"),
    },
    "predict": {
        "MODEL": ("predict {d}/garbage.npz moons", "garbage.npz"),
        "DATA": ("predict {d}/model.npz nothing", "'DATA'"),
        "--target": ("predict {d}/model.npz {d}/explodes.csv --target zz", "'zz'"),
        "--delimiter": ("predict {d}/model.npz {d}/explodes.csv --delimiter ab",
                        "'--delimiter'"),
        "--output": ("predict {d}/model.npz moons --output {d}/folder", "'--output'"),
    },
    "evaluate": {
        "MODEL": ("evaluate {d}/garbage.npz moons", "garbage.npz"),
        "DATA": ("evaluate {d}/model.npz nothing", "'DATA'"),
        "--target": ("evaluate {d}/model.npz {d}/explodes.csv --target zz", "'zz'"),
        "--delimiter": ("evaluate {d}/model.npz {d}/explodes.csv --delimiter ab",
                        "'--delimiter'"),
    },
    "export": {
        "MODEL": ("export {d}/garbage.npz {d}/m.onnx", "garbage.npz"),
        "OUTPUT": ("export {d}/model.npz {d}/folder", "'OUTPUT'"),
    },
    "sweep": {
        "--alpha": ("sweep --alpha=-1 --iterations 10", "'--alpha'"),
        "--hidden": ("sweep --hidden=-1 --iterations 10", "'--hidden'"),
        "--activation": ("sweep --activation x --iterations 10", "'--activation'"),
        "--output-activation": ("sweep --output-activation x --iterations 10",
                                "'--output-activation'"),
        "--optimizer": ("sweep --optimizer x --iterations 10", "'--optimizer'"),
        "--loss": ("sweep --loss x --iterations 10", "'--loss'"),
        "--seed": ("sweep --seed=-1 --iterations 10", "'--seed'"),
        "--iterations": ("sweep --iterations x", "--iterations"),
        "--config": ("sweep --config {d}/missing.toml", "'--config'"),
        "--data": ("sweep --data nothing --iterations 10", "'--data'"),
        "--every": ("sweep --every 0", "--every"),
        "--jobs": ("sweep --jobs 0 --iterations 10", "'--jobs'"),
        "--scheduler": ("sweep --scheduler tcp://127.0.0.1:1 --iterations 10", "--scheduler"),
        "--csv": ("sweep --csv {d}/folder", "'--csv'"),
        "--plot": ("sweep --plot {d}/folder", "'--plot'"),
    },
    "surface": {
        "--weights": ("surface --weights 9,W,0,0;0,W,0,0 --iterations 10", "'--weights'"),
        "--hidden": ("surface --hidden 0", "--hidden"),
        "--alpha": ("surface --alpha=-1 --iterations 10", "'--alpha'"),
        "--iterations": ("surface --iterations 0", "--iterations"),
        "--targets": ("surface --targets 1,2 --iterations 10", "'--targets'"),
        "--grid": ("surface --grid 1 --iterations 10", "'--grid'"),
        "--out": ("surface --out {d}/folder", "'--out'"),
        "--slice": ("surface --slice {d}/folder", "'--slice'"),
    },
    "lr-find": {
        "--data": ("lr-find --data nothing", "'--data'"),
        "--target": ("lr-find --data {d}/explodes.csv --target zz", "'zz'"),
        "--layers": ("lr-find --data moons --layers 0", "'--layers'"),
        "--activation": ("lr-find --data moons --activation x", "'--activation'"),
        "--optimizer": ("lr-find --data moons --optimizer lbfgs", "'--optimizer'"),
        "--alphas": ("lr-find --data moons --alphas=-1", "'--alphas'"),
        "--steps": ("lr-find --data moons --steps 0", "--steps"),
        "--batch-size": ("lr-find --data moons --batch-size 100000", "'--batch-size'"),
        "--seed": ("lr-find --data moons --seed=-1", "'--seed'"),
        "--plot": ("lr-find --data moons --plot {d}/folder", "'--plot'"),
    },
    "reproduce": {
        "TUTORIAL": ("reproduce part9", "tutorial"),
        "--hidden": ("reproduce part2 --hidden 0 --iterations 10", "'--hidden'"),
        "--alphas": ("reproduce part2 --alphas=-1 --iterations 10", "'--alphas'"),
        "--targets": ("reproduce part1 --targets 1,2", "--targets"),
        "--iterations": ("reproduce part1 --iterations 0", "--iterations"),
        "--every": ("reproduce part1 --every 0", "--every"),
        "--plot": ("reproduce notebook --plot {d}/folder", "'--plot'"),
    },
}
SWITCHES = {"--help", "--early-stopping", "--no-early-stopping", "--no-refit", "--proba",
            "--no-standardize", "--no-progress", "--directions", "--json"}
# Library names that must never reach the user of these commands.
INTERNAL = ("'sizes'", "'alpha' parameter", "'name_or_path'", "'n_jobs'", "'resume_from'",
            "'strength'", "'max_norm'", "'n' parameter")


def test_the_table_covers_every_flag_of_every_command():
    from mlplab.cli import build_parser
    from mlplab.cli.flags import command_parser, flag_names

    parser = build_parser()
    for command, table in BAD_FLAGS.items():
        written = set(flag_names(command_parser(parser, command)).values()) - SWITCHES
        assert written == set(table), command


@pytest.mark.parametrize(("command", "flag"), [(c, f) for c, table in BAD_FLAGS.items()
                                               for f in table])
def test_a_bad_value_is_reported_naming_the_flag(command, flag, files, capsys):
    line, fragment = BAD_FLAGS[command][flag]
    try:
        status = main(line.format(d=files).split())
    except SystemExit as exit_info:  # argparse's own check of the flag's type or choices
        status = exit_info.code
    err = capsys.readouterr().err
    assert status == 2, err
    assert fragment in err, err
    assert "Traceback" not in err
    assert not any(name in err for name in INTERNAL), err


def test_a_diverging_run_names_the_learning_rate_flag(files, capsys):
    status, err = run(capsys, CASES["a diverging run"].format(d=files))
    assert status == 2 and "--learning-rate than 10" in err and "alpha" not in err


def test_a_bad_toml_value_names_the_key_and_the_file(files, capsys):
    (files / "zero.toml").write_text('data = "moons"\nlayers = [0]\n')
    status, err = run(capsys, f"train --config {files}/zero.toml")
    assert status == 2 and "'layers' key of" in err and "zero.toml" in err, err
    assert "--layers" not in err and "'sizes'" not in err


@pytest.mark.parametrize(("text", "key"), [
    ("early_stopping = 1", "early_stopping"), ("patience = 2.5", "patience"),
    ('weight_decay = "a lot"', "weight_decay"), ("clip_norm = true", "clip_norm"),
    ("loss = 3", "loss"), ('plot = ["a.png"]', "plot"), ("progress = 0", "progress"),
])
def test_toml_keys_are_checked_by_type(files, capsys, text, key):
    (files / "typed.toml").write_text(f'data = "moons"\n{text}\n')
    status, err = run(capsys, f"train --config {files}/typed.toml")
    assert status == 2 and f"'{key}' key of {files}/typed.toml" in err, err


def test_a_reader_that_goes_away_is_not_an_error():
    """`mlplab ... | head`: the pipe closes before the output is written; nothing on stderr."""
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before mlplab writes a byte
    try:
        done = subprocess.run([sys.executable, "-m", "mlplab", "reproduce", "part2",
                               "--iterations", "20", "--every", "10", "--json"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 0
