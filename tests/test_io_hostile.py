"""Hostile model files: each is refused with one ModelFileError, in bounded memory.

The files are built here byte by byte (a zip writer that declares whatever it
is told), so they can lie about sizes, flags and compression the way an
attacker's would. The promise under test (docs/security.md): loading a file
of at most 1 MiB uses at most 64 MiB of extra memory, whatever the file says
about itself, and anything wrong is a ModelFileError naming the file.
"""

import dataclasses
import functools
import io
import json
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from mlplab import MLP, BatchNorm, Dense, ModelFileError, Sequential, load
from mlplab.io import HEADER, digest, implied_arrays, named_arrays, read_metadata
from mlplab.layers import Activation, Layer

MiB = 1 << 20
MEMORY_BUDGET = 64 * MiB


@dataclasses.dataclass
class Member:
    """One zip member as written: `data` as stored (compressed if `method` is 8)."""

    name: str
    data: bytes
    method: int = 0
    flags: int = 0
    file_size: int | None = None  # declared; None: the data's own length
    compress_size: int | None = None
    crc: int | None = None


def zip_bytes(members):
    """A zip archive declaring exactly what each Member says (no checks, no zip64)."""
    body, directory = io.BytesIO(), io.BytesIO()
    for m in members:
        name = m.name.encode()
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        csize = len(m.data) if m.compress_size is None else m.compress_size
        usize = len(m.data) if m.file_size is None else m.file_size
        offset = body.tell()
        body.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, m.flags, m.method, 0, 0x21,
                               crc, csize, usize, len(name), 0) + name + m.data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, m.flags,
                                    m.method, 0, 0x21, crc, csize, usize, len(name), 0, 0, 0,
                                    0, 0, offset) + name)
    start, listing = body.tell(), directory.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(listing), start, 0)
    return body.getvalue() + listing + end


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_preamble(shape, dtype="<f8"):
    """The .npy header alone, claiming `shape`."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False,
                                                  "shape": tuple(shape)})
    return buffer.getvalue()


def deflated(name, chunks):
    """A deflated Member of the concatenated `chunks`, with honest sizes and CRC."""
    compressor, parts, size, crc = zlib.compressobj(9, zlib.DEFLATED, -15), [], 0, 0
    for chunk in chunks:
        parts.append(compressor.compress(chunk))
        size, crc = size + len(chunk), zlib.crc32(chunk, crc)
    parts.append(compressor.flush())
    return Member(name, b"".join(parts), method=8, file_size=size, crc=crc)


def header_member(header):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return Member(f"{HEADER}.npy", npy(np.frombuffer(text, dtype=np.uint8)))


def model_members(config=None, arrays=None, *, change=None, metadata=None):
    """The members of a well-formed file, its header edited by `change` and re-signed."""
    if config is None:
        net = MLP([3, 4, 1], seed=0)
        config, arrays = net.get_config(), named_arrays(net)
    header = {"format": "mlplab-model", "version": 1, "config": config,
              "metadata": metadata or {},
              "arrays": [{"name": n, "shape": list(a.shape), "dtype": a.dtype.str}
                         for n, a in arrays.items()]}
    if change is not None:
        change(header)
    header["sha256"] = digest(header, arrays)
    return [Member(f"{n}.npy", npy(a)) for n, a in arrays.items()] + [header_member(header)]


def replaced(members, name, member):
    return [member if m.name == f"{name}.npy" else m for m in members]


def edited(members, name, **changes):
    return [dataclasses.replace(m, **changes) if m.name == f"{name}.npy" else m
            for m in members]


def deflated_repeat(name, head, chunk, times, tail=b""):
    """A deflated Member of head + chunk * times + tail that compresses `chunk` once.

    A full flush after each piece resets the compressor, so every copy of the
    chunk compresses to the same bytes and the copies can simply be repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    middle = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return Member(name, start + middle * times + end, method=8, crc=zlib.crc32(tail, crc),
                  file_size=len(head) + len(chunk) * times + len(tail))


@functools.cache
def zeros_256_mib_weight():
    """param_0 claiming shape (3, 11184810): 256 MiB of zeros, deflated to about 0.25 MiB."""
    columns = 256 * MiB // 24
    n_bytes = 3 * columns * 8
    return deflated_repeat("param_0.npy", npy_preamble((3, columns)), bytes(MiB),
                           n_bytes // MiB, bytes(n_bytes % MiB))


def write(tmp_path, members, name="hostile.npz"):
    path = tmp_path / name
    path.write_bytes(zip_bytes(members))
    assert path.stat().st_size <= MiB, "these tests promise bounds for files up to 1 MiB"
    return path


def extra_memory(call):
    """Peak bytes allocated (NumPy's arrays included) while `call()` runs."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(path, match=None):
    """Loading `path` raises a ModelFileError naming it; returns the peak extra memory."""
    def attempt():
        with pytest.raises(ModelFileError, match=match) as caught:
            load(path)
        assert str(path) in str(caught.value)

    peak = extra_memory(attempt)
    assert peak <= MEMORY_BUDGET, f"{peak / MiB:.1f} MiB to refuse {path.name}"
    return peak


def small_mlp(sizes=(3, 4, 1), **kwargs):
    net = MLP(list(sizes), seed=0, **kwargs)
    return net.get_config(), named_arrays(net)


# Sizes: what a file declares is checked against what it is before anything is inflated.

def test_a_weight_member_that_inflates_to_256_mib_is_refused_before_inflating(tmp_path):
    path = write(tmp_path, replaced(model_members(), "param_0", zeros_256_mib_weight()))
    assert path.stat().st_size < MiB // 2
    assert refused(path, "inflate to") < 4 * MiB


def test_a_member_whose_directory_entry_understates_its_size_is_refused(tmp_path):
    bomb = zeros_256_mib_weight()
    honest_size = len(npy(np.zeros((3, 4))))
    path = write(tmp_path, replaced(model_members(), "param_0",
                                    dataclasses.replace(bomb, file_size=honest_size)))
    assert refused(path, "compressed") < 4 * MiB


def test_a_large_deflated_header_is_refused_before_it_is_inflated(tmp_path):
    bomb = deflated_repeat(f"{HEADER}.npy", npy_preamble((256 * MiB + 2,), "|u1") + b"{",
                           b" " * MiB, 256, b"}")
    members = replaced(model_members(), HEADER, bomb)
    assert refused(write(tmp_path, members), "inflate to") < 4 * MiB
    # within the inflation bound, the header's own cap refuses it
    text = b"{" + b" " * (2 * MiB) + b"}"
    bomb = deflated(f"{HEADER}.npy", [npy_preamble((len(text),), "|u1"), text])
    padding = Member("padding.npy", np.random.default_rng(0).bytes(MiB // 3))
    path = write(tmp_path, [*replaced(model_members(), HEADER, bomb), padding], "padded.npz")
    refused(path, "a header holds at most")


@pytest.mark.parametrize("depth", [100_000, 2_000, 65])
def test_a_deeply_nested_header_is_refused_not_a_recursion_error(tmp_path, depth):
    text = b'{"format": "mlplab-model", "version": 1, "x": ' + b"[" * depth + b"]" * depth + b"}"
    path = write(tmp_path, [header_member(text)])
    refused(path, "nested more than 64 deep")


def test_a_config_declaring_a_billion_units_is_refused_before_building(tmp_path):
    config, arrays = small_mlp()
    huge = {**config, "sizes": [3, 10**9, 1]}
    refused(write(tmp_path, model_members(huge, arrays)), r"implies 'param_0' of shape "
            r"\[3, 1000000000\]")
    # a header that agrees with the config, over members that do not
    agreeing = model_members(huge, arrays, change=lambda h: h.update(arrays=[
        {"name": n, "shape": list(shape), "dtype": dtype}
        for n, (shape, dtype) in implied_arrays(huge).items()]))
    refused(write(tmp_path, agreeing, "agreeing.npz"), "need 24000000000")
    # and members that declare the size too (deflated data that is not there)
    lying = edited(agreeing, "param_0", file_size=0xFFFFFFF0, method=8)
    refused(write(tmp_path, lying, "lying.npz"), "inflate to")


def test_a_population_of_a_billion_is_refused_before_building(tmp_path):
    config, arrays = small_mlp()
    for population in ({"population": [10**9]}, {"population": [10**9], "seed": None}):
        refused(write(tmp_path, model_members({**config, **population}, arrays)), "population")
    no_seed = {k: v for k, v in config.items() if k != "seed"}
    refused(write(tmp_path, model_members({**no_seed, "population": [10**9]}, arrays)),
            "4000000000 layers x population members")


def test_batch_norm_of_a_billion_features_is_refused_before_building(tmp_path):
    net = Sequential([Dense(3, 4), BatchNorm(4), Activation("relu"), Dense(4, 1)], seed=0)
    config, arrays = net.get_config(), named_arrays(net)
    config["layers"][1]["n_features"] = 10**9
    refused(write(tmp_path, model_members(config, arrays)), "1000000000")


def test_a_population_of_tiny_models_is_refused_by_what_building_it_costs(tmp_path):
    members = (1 << 17) - 1024  # 8 bytes each: a 1 MiB file; building costs ~0.4 KiB each
    config = {"class": "MLP", "sizes": [1, 1], "activation": "relu", "output_activation":
              "linear", "bias": False, "init": "he_uniform", "dtype": "float64",
              "population": [members]}
    members = model_members(config, {"param_0": np.zeros((members, 1, 1))})
    refused(write(tmp_path, members), "layers x population members")


def mostly_zero_weights(n_out, *, metadata=None):
    """A deflated weight member inflating about 7x: noise, then zeros (a valid file)."""
    W = np.zeros((1000, n_out))
    W.flat[:118_000] = np.random.default_rng(0).normal(size=118_000)
    config = {"class": "MLP", "sizes": [1000, n_out], "activation": "relu",
              "output_activation": "linear", "bias": False, "init": "he_uniform",
              "dtype": "float64", "population": [], "seed": 0}
    members = model_members(config, {"param_0": W}, metadata=metadata)
    return replaced(members, "param_0", deflated("param_0.npy", [npy(W)]))


def many_layers(layer, count):
    net = Sequential([Dense(1, 1)], seed=0)
    config = net.get_config()
    config["layers"] += [layer] * count
    return model_members(config, named_arrays(net))


def tiny_population(*, bias=False, metadata=None):
    """As many 1-1 models as `load` agrees to build (32767 layers x members)."""
    n = (1 << 14) - 1
    config = {"class": "MLP", "sizes": [1, 1], "activation": "relu", "output_activation":
              "linear", "bias": bias, "init": "he_uniform", "dtype": "float64",
              "population": [n]}
    arrays = {"param_0": np.zeros((n, 1, 1)), **({"param_1": np.zeros((n, 1))} if bias else {})}
    return model_members(config, arrays, metadata=metadata)


def squeezed(members):
    """The header member deflated."""
    return [deflated(m.name, [m.data]) if m.name == f"{HEADER}.npy" else m for m in members]


JUNK = {"junk": [{}] * (MiB // 4 - 2048)}  # a JSON object per 4 bytes: the most per byte
COSTLY = {
    "weights inflating 7x": lambda: mostly_zero_weights(900),
    "1 MiB of JSON objects in the header": lambda: model_members(*small_mlp(), metadata=JUNK),
    "JSON objects and inflating weights": lambda: squeezed(
        mostly_zero_weights(700, metadata=JUNK)),
    "26000 activation layers": lambda: many_layers({"type": "Activation", "name": "relu"},
                                                   26_000),
    "18000 activation layers with options": lambda: many_layers(
        {"type": "Activation", "name": "leaky_relu", "slope": 0}, 18_000),
    "31000 dropout layers": lambda: many_layers({"type": "Dropout", "rate": 0}, 31_000),
    "16383 tiny models": tiny_population,
    "JSON objects and tiny models": lambda: squeezed(tiny_population(bias=True,
                                                                     metadata=JUNK)),
}
QUICK = ("weights inflating 7x", "JSON objects and inflating weights")  # ~2 s; the rest ~30 s


@pytest.mark.parametrize("case", [c if c in QUICK else pytest.param(c, marks=pytest.mark.slow)
                                  for c in COSTLY])
def test_files_that_pass_every_check_but_cost_the_most_fit_the_budget(tmp_path, case):
    """Valid files built to make loading allocate the most per byte: still within 64 MiB."""
    path = write(tmp_path, COSTLY[case]())
    peak = extra_memory(lambda: load(path))
    assert peak <= MEMORY_BUDGET, f"{peak / MiB:.1f} MiB to load {case}"


# Structure: every malformed part is a ModelFileError, never RuntimeError & co.

def _header_with(change):
    config, arrays = small_mlp()
    return model_members(config, arrays, change=change)


ZIP_CASES = {
    "encrypted": (lambda m: edited(m, "param_0", flags=0x1), "encrypted"),
    "encrypted header": (lambda m: edited(m, HEADER, flags=0x1), "encrypted"),
    "strong encryption": (lambda m: edited(m, "param_1", flags=0x41), "encrypted"),
    "patched data": (lambda m: edited(m, "param_1", flags=0x20), "patched"),
    "bzip2": (lambda m: edited(m, "param_0", method=12), "compression method 12"),
    "lzma": (lambda m: edited(m, "param_0", method=14), "compression method 14"),
    "aes": (lambda m: edited(m, "param_0", method=99), "compression method 99"),
    "stored sizes disagree": (lambda m: edited(m, "param_0", compress_size=10**6),
                              "compressed"),
    "member past the end": (lambda m: edited(m, "param_0", compress_size=200_000,
                                             file_size=200_000), "past the end"),
    "bad crc": (lambda m: edited(m, "param_0", crc=0), "CRC"),
    "duplicate member": (lambda m: m + m[:1], "two members"),
    "unlisted member": (lambda m: [*m, Member("extra.npy", npy(np.ones(3)))], "not list"),
    "not npy data": (lambda m: edited(m, "param_0", data=b"not an npy file at all!!" * 5),
                     "not .npy data"),
    "npy header garbage": (lambda m: edited(m, "param_0", data=b"\x93NUMPY\x01\x00\x10\x00"
                                            + b"{'descr': 1 +}\n" + bytes(96)), "not .npy"),
    "npy version 3": (lambda m: edited(m, "param_0", data=b"\x93NUMPY\x03\x00"
                                       + npy(np.zeros((3, 4)))[8:]), "not .npy data"),
    "npy shape differs": (lambda m: edited(m, "param_0", data=npy(np.zeros((4, 3)))),
                          "shape"),
    "npy dtype differs": (lambda m: edited(m, "param_0", data=npy(np.zeros((3, 4), ">f8"))),
                          "dtype"),
    "npy of objects": (lambda m: edited(m, "param_0", data=npy_preamble((3, 4), "|O")
                                        + bytes(96)), "allow_pickle"),
    "data too short": (lambda m: edited(m, "param_0", data=npy(np.zeros((3, 4)))[:-8]),
                       "need 96"),
    "header not npy": (lambda m: edited(m, HEADER, data=b"{}" * 40), "not .npy data"),
    "header of floats": (lambda m: replaced(m, HEADER, Member(f"{HEADER}.npy",
                                                             npy(np.zeros(4)))), "JSON"),
    "no header": (lambda m: [x for x in m if x.name != f"{HEADER}.npy"], "no '__mlplab__'"),
    "missing array": (lambda m: [x for x in m if x.name != "param_3.npy"], "missing"),
}


@pytest.mark.parametrize("case", ZIP_CASES)
def test_a_malformed_archive_is_a_model_file_error(tmp_path, case):
    change, fragment = ZIP_CASES[case]
    refused(write(tmp_path, change(model_members())), fragment)


def _without(key):
    return lambda h: h["config"].pop(key)


HEADER_CASES = {
    "not a dict": ([1, 2, 3], "format None"),
    "not UTF-8": (b"\xff\xfe{}", "unreadable header"),
    "not JSON": (b"{'format': 1}", "unreadable header"),
    "an int too long to parse": (b'{"format": ' + b"9" * 5000 + b"}", "unreadable header"),
    "no version": ({"format": "mlplab-model"}, "version None"),
}


@pytest.mark.parametrize("case", HEADER_CASES)
def test_a_malformed_header_is_a_model_file_error(tmp_path, case):
    header, fragment = HEADER_CASES[case]
    members = replaced(model_members(), HEADER, header_member(header))
    refused(write(tmp_path, members), fragment)


CONFIG_CASES = {
    "not a dict": (lambda h: h.update(config=[3, 4, 1]), "not a dict"),
    "a string": (lambda h: h.update(config="MLP"), "not a dict"),
    "null": (lambda h: h.update(config=None), "not a dict"),
    "unknown class": (lambda h: h["config"].update({"class": "Transformer"}), "class"),
    "unknown key": (lambda h: h["config"].update(backdoor=1), "backdoor"),
    "no sizes": (_without("sizes"), "sizes"),
    "sizes of floats": (lambda h: h["config"].update(sizes=[3.0, 4, 1]), "sizes"),
    "sizes of bools": (lambda h: h["config"].update(sizes=[True, 4, 1]), "sizes"),
    "a zero size": (lambda h: h["config"].update(sizes=[3, 0, 1]), "sizes"),
    "one size": (lambda h: h["config"].update(sizes=[3]), "sizes"),
    "bias not bool": (lambda h: h["config"].update(bias="yes"), "bias"),
    "dtype float16": (lambda h: h["config"].update(dtype="float16"), "dtype"),
    "dtype a list": (lambda h: h["config"].update(dtype=[]), "dtype"),
    "population of zero": (lambda h: h["config"].update(population=[0]), "population"),
    "population a string": (lambda h: h["config"].update(population="3"), "population"),
    "two population axes": (lambda h: h["config"].update(population=[2, 2]), "population"),
    "negative seed": (lambda h: h["config"].update(seed=-1), "seed"),
    "seed a string": (lambda h: h["config"].update(seed="x"), "seed"),
    "seed a float": (lambda h: h["config"].update(seed=1.5), "seed"),
    "empty seed list": (lambda h: h["config"].update(seed=[]), "seed"),
    "unknown activation": (lambda h: h["config"].update(activation="rm -rf"), "activation"),
    "unknown init": (lambda h: h["config"].update(init="os.system"), "init"),
    "dtype of arrays": (lambda h: h["arrays"][0].update(dtype="<f4"), "dtype <f8"),
    "object dtype listed": (lambda h: h["arrays"][0].update(dtype="|O"), "list of arrays"),
    "negative shape": (lambda h: h["arrays"][0].update(shape=[-3, 4]), "list of arrays"),
    "array entry with more keys": (lambda h: h["arrays"][0].update(offset=0),
                                   "list of arrays"),
    "arrays not a list": (lambda h: h.update(arrays={"param_0": 1}), "list of arrays"),
    "array listed twice": (lambda h: h["arrays"].append(h["arrays"][0]), "twice"),
    "array not implied": (lambda h: h["arrays"].append({"name": "param_9", "shape": [1],
                                                        "dtype": "<f8"}), "param_9"),
    "array not listed": (lambda h: h["arrays"].pop(), "does not list"),
    "metadata not a dict": (lambda h: h.update(metadata=[1]), "metadata"),
}


@pytest.mark.parametrize("case", CONFIG_CASES)
def test_a_malformed_config_is_a_model_file_error(tmp_path, case):
    change, fragment = CONFIG_CASES[case]
    refused(write(tmp_path, _header_with(change)), fragment)


def sequential():
    net = Sequential([Dense(3, 4), BatchNorm(4), Activation("leaky_relu", slope=0.1),
                      Dense(4, 1)], seed=0)
    return net.get_config(), named_arrays(net)


def _layer(i, **changes):
    return lambda h: h["config"]["layers"][i].update(changes)


LAYER_CASES = {
    "layers not a list": (lambda h: h["config"].update(layers={"0": 1}), "layers"),
    "no layers": (lambda h: h["config"].update(layers=[]), "layers"),
    "a layer not a dict": (lambda h: h["config"]["layers"].append("Dense"), "layer 4"),
    "an unknown layer type": (_layer(0, type="Lambda"), "Lambda"),
    "an extra Dense option": (_layer(0, activation="relu"), "activation"),
    "an extra BatchNorm option": (_layer(1, center=False), "center"),
    "a BatchNorm option that drops its arrays": (_layer(1, affine=False), "param"),
    "a BatchNorm of zero features": (_layer(1, n_features=0), "n_features"),
    "an activation option it does not take": (_layer(2, alpha=2.0), "alpha"),
    "an activation option of the wrong kind": (_layer(2, slope="0.1"), "slope"),
    "an activation without a name": (lambda h: h["config"]["layers"][2].pop("name"),
                                     "name"),
    "sizes that do not chain": (_layer(3, n_in=5), "shape"),
    "Dense sizes of floats": (_layer(0, n_in=3.0), "n_in"),
}


@pytest.mark.parametrize("case", LAYER_CASES)
def test_a_malformed_layer_is_a_model_file_error(tmp_path, case):
    change, fragment = LAYER_CASES[case]
    refused(write(tmp_path, model_members(*sequential(), change=change)), fragment)


def test_a_layer_config_that_chains_wrongly_is_caught_when_building(tmp_path):
    config, arrays = sequential()
    config["layers"][1]["n_features"] = 5  # BatchNorm(5) after Dense(3, 4)
    arrays["param_2"], arrays["param_3"] = np.ones(5), np.zeros(5)
    arrays["buffer_0"], arrays["buffer_1"] = np.zeros(5), np.ones(5)
    refused(write(tmp_path, model_members(config, arrays)), "does not build")


def test_read_metadata_checks_the_file_the_same_way(tmp_path):
    path = write(tmp_path, replaced(model_members(), "param_0", zeros_256_mib_weight()))
    with pytest.raises(ModelFileError, match="inflate to"):
        read_metadata(path)


def test_random_damage_gives_a_model_file_error_or_the_model(tmp_path):
    """Bytes overwritten or cut anywhere in a good file: a clean refusal every time.

    Every other trial aims at the zip directory at the end, where zipfile's
    own errors (NotImplementedError for an unknown zip version, OSError for a
    bad offset) come from.
    """
    good = zip_bytes(model_members(*sequential()))
    rng = np.random.default_rng(10)
    path = tmp_path / "damaged.npz"
    for trial in range(400):
        data = bytearray(good)
        if trial % 3 == 0:
            data = data[: rng.integers(len(data))]
        low = max(len(data) - 700, 0) if trial % 2 else 0
        for _ in range(rng.integers(1, 6)):
            data[rng.integers(low, len(data))] = int(rng.integers(256))
        path.write_bytes(bytes(data))
        try:
            load(path)
        except ModelFileError as error:
            assert str(path) in str(error)


# Checkpoints go through the same checks, then resume checks its own fields.

def checkpoint_members(tmp_path, change):
    """A real checkpoint's members, its header edited by `change(header, arrays)`, re-signed."""
    from mlplab import fit
    from mlplab.callbacks import Checkpoint

    path = tmp_path / "run.ckpt.npz"
    fit(MLP([3, 4, 1], seed=0), *xy(), optimizer="adam", epochs=2, batch_size=4,
        callbacks=[Checkpoint(path)])
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays.pop(HEADER).tobytes())
    change(header, arrays)
    header["arrays"] = [{"name": n, "shape": list(a.shape), "dtype": a.dtype.str}
                        for n, a in arrays.items()]
    header["sha256"] = digest(header, arrays)
    return [Member(f"{n}.npy", npy(a)) for n, a in arrays.items()] + [header_member(header)]


def xy():
    X = np.random.default_rng(0).normal(size=(12, 3))
    return X, X[:, :1]


def _drop(name):
    return lambda h, a: a.pop(name)


CHECKPOINT_CASES = {
    "epoch a string": (lambda h, a: h.update(epoch="2"), "'epoch'"),
    "negative iteration": (lambda h, a: h.update(iteration=-1), "'iteration'"),
    "history without its array": (_drop("history_loss"), "'history'"),
    "history not a list": (lambda h, a: h.update(history="loss"), "'history'"),
    "streams not a dict": (lambda h, a: h.update(random_streams=[1]), "'random_streams'"),
    "a stream state of garbage": (lambda h, a: h["random_streams"].update(
        batches={"bit_generator": "MT19937", "state": 5}), "cannot take its state"),
    "callbacks not a list": (lambda h, a: h.update(callbacks="EarlyStopping"), "'callbacks'"),
    "optimizer not a dict": (lambda h, a: h.update(optimizer=3), "'optimizer'"),
    "an optimizer leaf missing": (_drop("optimizer_1"), "optimizer state"),
    "an optimizer leaf numbered twice": (lambda h, a: a.update(optimizer_01=a["optimizer_1"]),
                                         "optimizer state"),
    "an optimizer leaf reshaped": (lambda h, a: a.update(optimizer_1=np.zeros(7)),
                                   "optimizer state"),
    "an optimizer leaf numbered past 10**9": (lambda h, a: a.update(
        {"optimizer_" + "9" * 5000: np.zeros(1)}), "does not imply"),
    "an array of no known kind": (lambda h, a: a.update(evil=np.zeros(1)), "does not imply"),
    "a weight reshaped": (lambda h, a: a.update(param_0=np.zeros((4, 3))), "implies"),
}


@pytest.mark.parametrize("case", CHECKPOINT_CASES)
def test_a_malformed_checkpoint_is_a_model_file_error(tmp_path, case):
    from mlplab import fit

    change, fragment = CHECKPOINT_CASES[case]
    path = write(tmp_path, checkpoint_members(tmp_path, change), "hostile.ckpt.npz")
    with pytest.raises(ModelFileError, match=fragment) as caught:
        fit(MLP([3, 4, 1], seed=0), *xy(), optimizer="adam", epochs=4, batch_size=4,
            resume_from=path)
    assert str(path) in str(caught.value)


def test_a_checkpoint_bomb_is_refused_in_bounded_memory(tmp_path):
    from mlplab import fit

    members = checkpoint_members(tmp_path, lambda h, a: None)
    path = write(tmp_path, replaced(members, "param_0", zeros_256_mib_weight()), "b.npz")

    def attempt():
        with pytest.raises(ModelFileError, match="inflate to"):
            fit(MLP([3, 4, 1], seed=0), *xy(), optimizer="adam", epochs=4, batch_size=4,
                resume_from=path)

    assert extra_memory(attempt) < 8 * MiB


class IoTestPicky(Layer):
    """A user's layer whose constructor rejects a config its own way (an AssertionError)."""

    def __init__(self, n):
        super().__init__()
        assert n < 10
        self.n = n

    def get_config(self):
        return {"type": "IoTestPicky", "n": self.n}


def test_a_users_layer_refusing_a_config_its_own_way_is_a_model_file_error(tmp_path):
    net = Sequential([Dense(3, 3), IoTestPicky(3), Dense(3, 1)], seed=0)
    members = model_members(net.get_config(), named_arrays(net),
                            change=lambda h: h["config"]["layers"][1].update(n=99))
    refused(write(tmp_path, members), "unusable layer 1")
