"""Model files in the safetensors format: round trips, and every hostile NPZ case adapted.

The hostile files are written here byte by byte (the 8-byte length, the JSON,
the data), so they can lie about lengths, offsets, shapes and dtypes; the
header, config and layer cases are test_io_hostile's own, applied to this
format. The promise is the NPZ format's: a refusal is one ModelFileError
naming the file, in bounded memory.
"""

import json
import sys

import numpy as np
import pytest
from test_io_hostile import (
    CONFIG_CASES,
    HEADER_CASES,
    LAYER_CASES,
    MEMORY_BUDGET,
    MiB,
    extra_memory,
    refused,
    sequential,
    small_mlp,
)

from mlplab import MLP, BatchNorm, Dense, Dropout, ModelFileError, Sequential, fit, load, save
from mlplab.io import HEADER, digest, implied_arrays, named_arrays, read_metadata
from mlplab.io.safetensors_file import DTYPES, MAX_SAFETENSORS_HEADER
from mlplab.layers import Activation, DropConnect

safetensors_numpy = pytest.importorskip("safetensors.numpy")
NAMES = {np.dtype(v).str: k for k, v in DTYPES.items()}  # "<f8" -> "F64"


def data(rows=40, seed=1):
    X = np.random.default_rng(seed).normal(size=(rows, 3))
    return X, X[:, :1] * 2 - X[:, 1:2]


def same_model(a, b, X):
    assert type(a) is type(b) and a.get_config() == b.get_config()
    for p, q in zip([*a.params, *a.buffers], [*b.params, *b.buffers], strict=True):
        assert p.dtype == q.dtype
        np.testing.assert_array_equal(p, q)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


# Round trips

def test_mlp_round_trip_keeps_weights_and_metadata(tmp_path):
    X, y = data()
    net = MLP([3, 5, 1], activation="tanh", seed=0)
    fit(net, X, y, epochs=5)
    path = save(net, tmp_path / "m.safetensors", metadata={"task": "regression", "n": [1, 2]})
    same_model(load(path), net, X)
    assert read_metadata(path) == {"task": "regression", "n": [1, 2]}


def test_sequential_with_batchnorm_dropout_and_dropconnect(tmp_path):
    X, y = data()
    net = Sequential([DropConnect(3, 4, 0.3, seed=2), BatchNorm(4), Activation("relu"),
                      Dropout(0.2, seed=1), Dense(4, 1)], seed=0, dtype="float32")
    fit(net, X, y, epochs=4, batch_size=10, seed=0)
    again = load(save(net, tmp_path / "bn.safetensors"))
    same_model(again, net, X)
    assert again.params[0].dtype == np.float32 and len(again.buffers) >= 2


def test_population_round_trip(tmp_path):
    X, _ = data()
    net = MLP([3, 4, 1], seed=[1, 2, 3])
    again = load(save(net, tmp_path / "pop.safetensors"))
    assert again.population == (3,)
    same_model(again, net, X)


def test_the_extension_chooses_the_format(tmp_path):
    net = MLP([3, 4, 1], seed=0)
    npz, st = save(net, tmp_path / "m.npz"), save(net, tmp_path / "m.SafeTensors")
    assert npz.read_bytes()[:2] == b"PK"  # a zip archive
    length = int.from_bytes(st.read_bytes()[:8], "little")
    assert json.loads(st.read_bytes()[8:8 + length])["__metadata__"][HEADER]
    same_model(load(st), load(npz), data()[0])
    with pytest.raises(ModelFileError, match="NPZ"):  # a safetensors file named .npz
        load(st.rename(tmp_path / "wrong.npz"))


def test_the_safetensors_package_reads_our_files(tmp_path):
    net = MLP([3, 4, 2], seed=[0, 1])
    tensors = safetensors_numpy.load_file(save(net, tmp_path / "m.safetensors"))
    arrays = named_arrays(net)
    assert sorted(tensors) == sorted(arrays)
    for name, a in arrays.items():
        np.testing.assert_array_equal(tensors[name], a)


def test_saving_is_atomic_and_leaves_no_temporaries(tmp_path):
    path = tmp_path / "m.safetensors"
    save(MLP([3, 4, 1], seed=0), path)
    save(MLP([3, 6, 1], seed=1), path)
    assert load(path).get_config()["sizes"] == [3, 6, 1]
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_non_finite_weights_are_kept_as_npz_keeps_them(tmp_path):
    """A diverged model's NaN and inf weights are its weights: both formats keep them."""
    net = MLP([3, 4, 1], seed=0)
    weights = net.get_weights()
    weights[0][0, 0], weights[0][1, 1] = np.nan, -np.inf
    net.set_weights(weights)
    for name in ("m.npz", "m.safetensors"):
        again = load(save(net, tmp_path / name))
        assert np.isnan(again.params[0][0, 0]) and again.params[0][1, 1] == -np.inf


def test_saving_without_the_package_names_the_extra(tmp_path, monkeypatch):
    path = save(MLP([3, 4, 1], seed=0), tmp_path / "m.safetensors")
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match=r"mlplab\[safetensors\]"):
        save(MLP([3, 4, 1], seed=0), tmp_path / "n.safetensors")
    assert load(path).get_config()["sizes"] == [3, 4, 1]  # reading needs no package


# Hostile files, written byte by byte

def file_bytes(config=None, arrays=None, *, change=None, tensors=None, outer=None,
               length=None, tail=b""):
    """A safetensors model file; `change` edits mlplab's header (re-signed), `tensors` the
    tensor entries, `outer` the whole outer JSON (or bytes to use instead); `length`
    overrides the declared header length."""
    if config is None:
        config, arrays = small_mlp()
    header = {"format": "mlplab-model", "version": 1, "config": config, "metadata": {},
              "arrays": [{"name": n, "shape": list(a.shape), "dtype": a.dtype.str}
                         for n, a in arrays.items()]}
    if change is not None:
        change(header)
    header["sha256"] = digest(header, arrays)
    entries, position = {}, 0
    for name, a in arrays.items():
        entries[name] = {"dtype": NAMES[a.dtype.str], "shape": list(a.shape),
                         "data_offsets": [position, position + a.nbytes]}
        position += a.nbytes
    if tensors is not None:
        tensors(entries)
    metadata = header if isinstance(header, bytes) else json.dumps(header)
    document = {"__metadata__": {HEADER: metadata}, **entries}
    if outer is not None:
        document = outer(document) if callable(outer) else outer
    text = document if isinstance(document, bytes) else json.dumps(document).encode()
    size = len(text) if length is None else length
    body = b"".join(np.ascontiguousarray(a).tobytes() for a in arrays.values())
    return size.to_bytes(8, "little") + text + body + tail


def write(tmp_path, content, name="hostile.safetensors"):
    path = tmp_path / name
    path.write_bytes(content)
    assert path.stat().st_size <= 2 * MiB  # 1 MiB but for the over-long header's case
    return path


def test_the_builder_makes_a_file_that_loads(tmp_path):
    config, arrays = small_mlp()
    loaded = load(write(tmp_path, file_bytes(config, arrays)))
    for p, (name, a) in zip(loaded.params, arrays.items(), strict=True):
        np.testing.assert_array_equal(p, a, err_msg=name)


def _set(name, key, value):
    return lambda entries: entries[name].update({key: value})


def _offsets_shifted(entries):
    for entry in entries.values():
        entry["data_offsets"] = [entry["data_offsets"][0] + 8, entry["data_offsets"][1] + 8]


LAYOUT_CASES = {
    "shorter than a length": (lambda: b"\x10\x00\x00", "too short"),
    "a length of 2**63": (lambda: file_bytes(length=1 << 63), "reads at most"),
    "a length past the end": (lambda: file_bytes(length=MAX_SAFETENSORS_HEADER // 2),
                              "more than the"),
    "a length one byte long": (lambda: file_bytes(length=1), "unreadable header"),
    "data truncated": (lambda: file_bytes()[:-8], "truncated"),
    "bytes added": (lambda: file_bytes(tail=bytes(8)), "bytes added"),
    "outer not JSON": (lambda: file_bytes(outer=b"{'__metadata__': 1}"), "unreadable header"),
    "outer not UTF-8": (lambda: file_bytes(outer=b"\xff\xfe{}"), "unreadable header"),
    "outer a list": (lambda: file_bytes(outer=[1, 2]), "not a JSON object"),
    "outer nested deep": (lambda: file_bytes(outer=b"[" * 100_000 + b"]" * 100_000),
                          "nested more than 64"),
    "no metadata": (lambda: file_bytes(outer=lambda d: {k: v for k, v in d.items()
                                                        if k != "__metadata__"}),
                    "not an mlplab model"),
    "metadata without mlplab's header": (
        lambda: file_bytes(outer=lambda d: {**d, "__metadata__": {"format": "pt"}}),
        "not an mlplab model"),
    "mlplab's header not a string": (
        lambda: file_bytes(outer=lambda d: {**d, "__metadata__": {HEADER: {"format": 1}}}),
        "not an mlplab model"),
    "more metadata": (lambda: file_bytes(outer=lambda d: {**d, "__metadata__": {
        **d["__metadata__"], "extra": "x"}}), "other than"),
    "a header over 1 MiB": (lambda: file_bytes(outer=lambda d: {**d, "__metadata__": {
        HEADER: " " * (MiB + 1)}}), "at most"),
    "a tensor missing": (lambda: file_bytes(tensors=lambda e: e.pop("param_3")), "missing"),
    "a tensor not listed": (lambda: file_bytes(tensors=lambda e: e.update(
        extra={"dtype": "F64", "shape": [0], "data_offsets": [0, 0]})), "does not list"),
    "a tensor reshaped": (lambda: file_bytes(tensors=_set("param_0", "shape", [4, 3])),
                          "has shape"),
    "a tensor of float32": (lambda: file_bytes(tensors=_set("param_0", "dtype", "F32")),
                            "dtype F32"),
    "a tensor of bfloat16": (lambda: file_bytes(tensors=_set("param_0", "dtype", "BF16")),
                             "plain numbers"),
    "a dtype that is a list": (lambda: file_bytes(tensors=_set("param_0", "dtype", ["F64"])),
                               "plain numbers"),
    "a negative shape": (lambda: file_bytes(tensors=_set("param_0", "shape", [-3, -4])),
                         "plain numbers"),
    "an entry with more keys": (lambda: file_bytes(tensors=_set("param_0", "offset", 0)),
                                "plain numbers"),
    "offsets reversed": (lambda: file_bytes(tensors=_set("param_0", "data_offsets", [96, 0])),
                         "plain numbers"),
    "offsets of floats": (lambda: file_bytes(tensors=_set("param_0", "data_offsets",
                                                          [0.0, 96.0])), "plain numbers"),
    "offsets too short for the shape": (
        lambda: file_bytes(tensors=_set("param_0", "data_offsets", [0, 88])), "need 96"),
    "offsets overlapping": (lambda: file_bytes(tensors=_set("param_1", "data_offsets",
                                                            [88, 120])), "starts at byte"),
    "offsets past the end": (lambda: file_bytes(tensors=_offsets_shifted), "starts at byte"),
    "offsets of 2**62": (lambda: file_bytes(tensors=_set("param_3", "data_offsets",
                                                         [1 << 62, (1 << 62) + 8])),
                         "starts at byte"),
    "a weight changed": (lambda: file_bytes()[:-1] + b"\x01", "checksum"),
}


@pytest.mark.parametrize("case", LAYOUT_CASES)
def test_a_malformed_file_is_a_model_file_error(tmp_path, case):
    make, fragment = LAYOUT_CASES[case]
    refused(write(tmp_path, make()), fragment)


def test_a_config_declaring_a_billion_units_is_refused_before_reading(tmp_path):
    config, arrays = small_mlp()
    huge = {**config, "sizes": [3, 10**9, 1]}
    refused(write(tmp_path, file_bytes(huge, arrays)), r"implies 'param_0' of shape "
            r"\[3, 1000000000\]")
    # header and tensor entries agreeing with the config, over data that is not there
    implied = implied_arrays(huge)
    agreeing = file_bytes(huge, arrays, change=lambda h: h.update(arrays=[
        {"name": n, "shape": list(shape), "dtype": dtype}
        for n, (shape, dtype) in implied.items()]), tensors=lambda e: _claim(e, implied))
    assert refused(write(tmp_path, agreeing, "agreeing.safetensors"), "tensors end at byte") \
        < 4 * MiB


def _claim(entries, implied):
    """Tensor entries for the `implied` shapes, tiling 24 GB of data that is not there."""
    entries.clear()
    position = 0
    for name, (shape, dtype) in implied.items():
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        entries[name] = {"dtype": NAMES[np.dtype(dtype).str], "shape": list(shape),
                         "data_offsets": [position, position + size]}
        position += size


def test_a_population_of_a_billion_is_refused_before_building(tmp_path):
    config, arrays = small_mlp()
    no_seed = {k: v for k, v in config.items() if k != "seed"}
    refused(write(tmp_path, file_bytes({**no_seed, "population": [10**9]}, arrays)),
            "layers x population members")


@pytest.mark.parametrize("case", HEADER_CASES)
def test_a_malformed_mlplab_header_is_a_model_file_error(tmp_path, case):
    header, fragment = HEADER_CASES[case]
    # a JSON string is always UTF-8: undecodable bytes arrive as U+FFFD
    text = header.decode("utf-8", "replace") if isinstance(header, bytes) else json.dumps(header)
    content = file_bytes(outer=lambda d: {**d, "__metadata__": {HEADER: text}})
    refused(write(tmp_path, content), fragment)


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_a_malformed_config_is_a_model_file_error(tmp_path, case):
    change, fragment = CONFIG_CASES[case]
    refused(write(tmp_path, file_bytes(change=change)), fragment)


@pytest.mark.parametrize("case", LAYER_CASES)
def test_a_malformed_layer_is_a_model_file_error(tmp_path, case):
    change, fragment = LAYER_CASES[case]
    refused(write(tmp_path, file_bytes(*sequential(), change=change)), fragment)


def test_read_metadata_checks_the_file_the_same_way(tmp_path):
    path = write(tmp_path, file_bytes(length=1 << 40))
    with pytest.raises(ModelFileError, match="reads at most"):
        read_metadata(path)


def test_random_damage_gives_a_model_file_error_or_the_model(tmp_path):
    """Bytes overwritten or cut anywhere in a good file: a clean refusal every time."""
    good = save(Sequential([Dense(3, 4), BatchNorm(4), Activation("relu"), Dense(4, 1)],
                           seed=0), tmp_path / "good.safetensors").read_bytes()
    rng = np.random.default_rng(11)
    path = tmp_path / "damaged.safetensors"
    refusals = 0
    for trial in range(300):
        damaged = bytearray(good)
        if trial % 3 == 0:
            damaged = damaged[: rng.integers(len(damaged))]
        for _ in range(rng.integers(1, 6)):
            damaged[rng.integers(len(damaged))] = int(rng.integers(256))
        path.write_bytes(bytes(damaged))
        try:
            load(path)
        except ModelFileError as error:
            assert str(path) in str(error)
            refusals += 1
    assert refusals > 250


def test_a_good_file_loads_within_the_memory_budget(tmp_path):
    W = np.random.default_rng(0).normal(size=(300, 400))
    config = {"class": "MLP", "sizes": [300, 400], "activation": "relu",
              "output_activation": "linear", "bias": False, "init": "he_uniform",
              "dtype": "float64", "population": [], "seed": 0}
    path = write(tmp_path, file_bytes(config, {"param_0": W}))
    peak = extra_memory(lambda: load(path))
    assert peak <= MEMORY_BUDGET and peak < 8 * W.nbytes
