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
