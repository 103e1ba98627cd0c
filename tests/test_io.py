"""Model files: round trips, atomic writes, and files that must not load."""

import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import mlplab
from mlplab import MLP, BatchNorm, Dense, Dropout, ModelFileError, Sequential, fit, load, save
from mlplab.io import HEADER, STALE_AFTER, remove_stale_temporaries, write_atomically
from mlplab.layers import Activation, Layer


def trained_mlp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    net = MLP([3, 5, 2], activation="tanh", output_activation="softmax", seed=0)
    fit(net, X, (X[:, 0] > 0).astype(int), loss="softmax_crossentropy", epochs=20)
    return net, X


def test_mlp_round_trip_predicts_the_same(tmp_path):
    net, X = trained_mlp()
    path = save(net, tmp_path / "model.npz")
    again = load(path)
    assert type(again) is MLP and again.get_config() == net.get_config()
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_sequential_with_batchnorm_keeps_running_statistics(tmp_path):
    X = np.random.default_rng(1).normal(size=(40, 3))
    net = Sequential([Dense(3, 4), BatchNorm(4), Activation("relu"), Dropout(0.2, seed=1),
                      Dense(4, 1)], seed=0, dtype="float32")
    fit(net, X, X[:, :1], epochs=5, batch_size=10, seed=0)
    again = load(save(net, tmp_path / "bn.npz"))
    for a, b in zip(again.buffers, net.buffers, strict=True):
        np.testing.assert_array_equal(a, b)
    assert again.params[0].dtype == np.float32
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_population_round_trip(tmp_path):
    net = MLP([3, 4, 1], seed=[1, 2, 3])
    again = load(save(net, tmp_path / "pop.npz"))
    assert again.population == (3,)
    for a, b in zip(again.params, net.params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_saved_file_loads_in_a_fresh_process(tmp_path):
    net, X = trained_mlp()
    save(net, tmp_path / "m.npz")
    np.save(tmp_path / "X.npy", X)
    code = ("import numpy as np, mlplab, sys; m = mlplab.load(sys.argv[1]); "
            "np.save(sys.argv[2], m.predict(np.load(sys.argv[3])))")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "m.npz"),
                    str(tmp_path / "out.npy"), str(tmp_path / "X.npy")], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), net.predict(X))


def test_saving_over_a_file_is_atomic_and_leaves_no_temporaries(tmp_path):
    net, _ = trained_mlp()
    path = tmp_path / "model.npz"
    save(net, path)
    before = path.read_bytes()

    def fail(file):
        file.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(path, fail)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_written_files_get_the_usual_permissions_or_keep_those_they_replace(tmp_path):
    net, _ = trained_mlp()
    path = tmp_path / "model.npz"
    umask = os.umask(0o022)
    try:
        save(net, path)
        assert path.stat().st_mode & 0o777 == 0o644  # as open() gives, not mkstemp's 0o600
        os.chmod(path, 0o640)
        save(net, path)
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(umask)


WRITER = """
import sys, time
from pathlib import Path
from mlplab.io import write_atomically

def write(file):
    file.write(bytes(1 << 20))
    file.flush()
    print("writing", flush=True)
    time.sleep(60)

write_atomically(Path(sys.argv[1]), write)
"""


def temporaries(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_temporaries_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    net, _ = trained_mlp()
    path = tmp_path / "model.npz"
    for _ in range(4):  # writers killed mid-write, as `kill -9` would
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline() == "writing\n"
        writer.kill()
        writer.wait()
        writer.stdout.close()
        left = temporaries(tmp_path)  # each writer removed the one killed before it
        assert len(left) == 1 and left[0].startswith(f".model.npz.{writer.pid}.")
    save(net, path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_abandoned_temporaries_of_the_same_target_are_removed(tmp_path):
    import os

    path, dead, alive = tmp_path / "model.npz", dead_pid(), os.getpid()
    kept = [f".model.npz.{alive}.abcd_123.tmp",  # a live writer (this process)
            f".other.npz.{dead}.abcd_123.tmp",  # another target's
            f".model.npz.{dead}.abcd_123.tmp.bak", f".model.npz.{dead}.tmp",  # other names
            "model.npz.tmp", f"model.npz.{dead}.abcd_123.tmp"]
    removed = [f".model.npz.{dead}.abcd_123.tmp",  # its writer is gone
               f".model.npz.{alive}.zzzz_999.tmp"]  # untouched for longer than STALE_AFTER
    for name in kept + removed:
        (tmp_path / name).write_bytes(b"partial")
    old = (tmp_path / removed[1]).stat().st_mtime - STALE_AFTER - 1
    os.utime(tmp_path / removed[1], (old, old))
    (tmp_path / f".model.npz.{dead}.dir_0000.tmp").mkdir()  # a folder is never removed
    (tmp_path / f".model.npz.{dead}.link_000.tmp").symlink_to(tmp_path / kept[0])
    kept += [f".model.npz.{dead}.dir_0000.tmp", f".model.npz.{dead}.link_000.tmp"]
    assert sorted(p.name for p in remove_stale_temporaries(path)) == sorted(removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_temporaries_carry_the_writers_pid(tmp_path):
    import os

    seen = []
    write_atomically(tmp_path / "m.bin", lambda file: seen.extend(temporaries(tmp_path)))
    assert len(seen) == 1 and seen[0].startswith(f".m.bin.{os.getpid()}.")
    assert [p.name for p in tmp_path.iterdir()] == ["m.bin"]


class Boom:
    def __reduce__(self):
        return (print, ("pickle payload executed",))


def test_a_pickle_payload_never_runs(tmp_path, capsys):
    net, _ = trained_mlp()
    path = save(net, tmp_path / "model.npz")
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["param_0.npy"] = _npy_object_array_bytes()  # a pickled object array in its place
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with pytest.raises(ModelFileError, match="allow_pickle"):
        load(path)
    assert "pickle payload executed" not in capsys.readouterr().out
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError, match="not a readable mlplab model"):
        load(plain)
    assert "pickle payload executed" not in capsys.readouterr().out


def _npy_object_array_bytes():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def test_a_truncated_file_fails_clearly(tmp_path):
    net, _ = trained_mlp()
    path = save(net, tmp_path / "model.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="not a readable mlplab model"):
        load(path)


def test_a_file_from_another_program_fails_clearly(tmp_path):
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.ones(3))
    with pytest.raises(ModelFileError, match="not an mlplab model file"):
        load(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError):
        load(text)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def rewrite(path, change):
    """Rewrite an NPZ with `change(arrays, header)` applied (a tampering tool)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays.pop(HEADER).tobytes())
    change(arrays, header)
    np.savez(path, **arrays,
             **{HEADER: np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)})


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda a, h: a.__setitem__("param_0", a["param_0"] + 1e-9), "checksum"),
        (lambda a, h: h["config"].__setitem__("activation", "relu"), "checksum"),
        (lambda a, h: a.__setitem__("param_1", np.zeros(7)), "shape"),
        (lambda a, h: a.pop("param_2"), "missing"),
        (lambda a, h: h.__setitem__("version", 99), "version 99"),
        (lambda a, h: h.__setitem__("format", "keras"), "not an mlplab model file"),
    ],
)
def test_a_tampered_file_fails_clearly(tmp_path, change, fragment):
    net, _ = trained_mlp()
    path = save(net, tmp_path / "model.npz")
    rewrite(path, change)
    with pytest.raises(ModelFileError, match=fragment):
        load(path)


def test_public_names():
    assert mlplab.save is save and mlplab.load is load


class IoTestRotation(Layer):
    """A user's layer with a parameter: x @ R, R: (n, n) drawn by the model's initializer."""

    param_names = ("R",)

    def __init__(self, n):
        super().__init__()
        self.n = n

    def init_params(self, rng, default_init):
        return [default_init((self.n, self.n), rng)]

    def forward(self, x, *, training=False, rng=None):
        return x @ self.params[0]

    def get_config(self):
        return {"type": "IoTestRotation", "n": self.n}


def test_a_users_layer_with_parameters_round_trips_and_is_checked_without_building(tmp_path):
    import tracemalloc

    net = Sequential([Dense(3, 3), IoTestRotation(3), Dense(3, 1)], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    path = save(net, tmp_path / "rotation.npz")
    np.testing.assert_array_equal(load(path).predict(X), net.predict(X))

    def huge(arrays, header):
        header["config"]["layers"][1]["n"] = 10**6

    rewrite(path, huge)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=r"implies 'param_2' of shape \[1000000, "):
            load(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()
