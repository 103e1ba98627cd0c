"""Saving and loading models: one NPZ file, no pickle anywhere.

The file is a NumPy ``.npz`` archive holding each parameter and buffer array
(``param_0``, ``param_1``, ..., ``buffer_0``, ...) and one more entry,
``__mlplab__``, whose bytes are a UTF-8 JSON header:

    {"format": "mlplab-model", "version": 1, "config": model.get_config(),
     "arrays": [{"name", "shape", "dtype"}, ...], "sha256": "..."}

Loading never unpickles (every array is read as plain numbers; an object array
is refused), and checks a file in an order that lets nothing large be
allocated before its size is known to be honest (docs/security.md says it
for users):

1. the zip directory: no encryption, only stored or deflated members, and
   members that together inflate to at most `MAX_INFLATION` times the file;
2. the header member: at most `MAX_HEADER_BYTES`, nested at most
   `MAX_HEADER_DEPTH` deep, then its format, version and fields;
3. (`load`) the cost of building: layers x population members at most
   `buildable_member_layers` of the file's size;
4. the config, without building the model: the parameter and buffer shapes
   it implies (`implied_arrays`) must be exactly the arrays the header lists;
5. every member's declared size and .npy header against its listed shape and
   dtype; only then is any array read, in bounded chunks;
6. the SHA-256 of the header and all array bytes; then the model is built.

A foreign, truncated, tampered or hostile file fails with one `ModelFileError`
naming the file and what is wrong.

Files are written atomically: to a temporary file in the same folder, flushed
to disk, then renamed over the target, so a crash never leaves half a model
where a good one was. Temporaries a killed writer left behind are removed by
the next write to the same target (see `write_atomically`).
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import os
import re
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.backend import get_backend, to_numpy
from mlplab.layers import Activation, BatchNorm, Dense, Layer, layer_from_config
from mlplab.model import DTYPES, Sequential, model_from_config

FORMAT, VERSION = "mlplab-model", 1
HEADER = "__mlplab__"
MAX_HEADER_BYTES = 1 << 20  # the JSON header: config, metadata and the array list
MAX_HEADER_DEPTH = 64  # its nesting; mlplab's own headers nest about 5 deep
MAX_INFLATION = 8  # array bytes a file may declare per byte it occupies (mlplab stores: 1)
NPY_PREAMBLE = 4096  # the most an .npy member's own header may take before its data
READ_CHUNK = 1 << 20
MEMBER_LAYERS = 1 << 15  # layers x population members any file may make load build ...
BYTES_PER_MEMBER_LAYER = 32  # ... or one per this many bytes of the file, if more
STALE_AFTER = 600.0  # seconds without a write after which anyone's temporary is abandoned
_DTYPE = re.compile(r"[<>|][biuf][1248]")  # plain numbers: nothing that needs pickle
_NOT_ENCRYPTED = 0x1 | 0x20 | 0x40  # zip flags: encrypted, patched data, strong encryption


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model (foreign, truncated, tampered, too new)."""


def save(model: Any, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None
         ) -> Path:
    """Write `model` (architecture, weights, running statistics) to `path`, atomically.

    metadata: optional JSON-able facts to keep beside the model (the command
    line stores the task, the classes and the input scaling); see `read_metadata`.
    """
    path = checked_path(path, "save")
    header = _savable_header(model, path, metadata)
    arrays = named_arrays(model)
    work, allowed = member_layers(header["config"]), buildable_member_layers(
        sum(a.nbytes for a in arrays.values()))
    if work > allowed:  # loading would refuse the file (see `member_layers`)
        raise invalid("model", "save", f"a model that loading can rebuild from its file: at "
                      f"most {allowed} layers x population members for weights this size",
                      f"{work} ({model!r})", raw=True)
    write_archive(path, header, arrays)
    return path


def _savable_header(model: Any, path: Path, metadata: Any) -> dict[str, Any]:
    """The header of `model`'s file, after the checks `save` makes before any work."""
    if isinstance(model, Layer):
        raise invalid("model", "save", "a model (Sequential or MLP), not a layer: wrap it as "
                      "Sequential([layer])", model)
    if not isinstance(model, Sequential):
        raise invalid("model", "save", "a model (Sequential or MLP)", model)
    if path.is_dir():
        raise invalid("path", "save", "the path of a file, not of a folder", str(path))
    header = {"format": FORMAT, "version": VERSION, "config": model.get_config(),
              "metadata": _checked_metadata(metadata)}
    _check_writable_header(header, len(model.params) + len(model.buffers), "save")
    return header


def load(path: str | os.PathLike, *, backend: Any = None) -> Any:
    """The model saved at `path`; raises ModelFileError for anything but a good mlplab file.

    backend: where the loaded model computes ("numpy", "cupy", ...); None
    leaves it on NumPy, following the data of its first predict or fit.
    """
    path = checked_path(path, "load")
    if backend is not None:
        backend = get_backend(backend, owner="load")
    header, arrays = read_archive(path, FORMAT, VERSION, for_building=True)
    model = built_model(header["config"], arrays, path, "mlplab model")
    return model if backend is None else model.to(backend)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata a model file was saved with (checked like the rest of the file)."""
    header, _ = read_archive(checked_path(path, "read_metadata"), FORMAT, VERSION)
    return header.get("metadata", {})


def checked_path(path: Any, owner: str, name: str = "path") -> Path:
    """`path` as a Path, if it is a str or os.PathLike naming something (no NUL)."""
    if not isinstance(path, str | os.PathLike):
        raise invalid(name, owner, "a file path (str or os.PathLike)", path)
    text = os.fspath(path)
    if not isinstance(text, str):
        raise invalid(name, owner, "a file path (str or os.PathLike of str)", path)
    if not text:
        raise invalid(name, owner, "a non-empty file path", path)
    if "\0" in text:
        raise invalid(name, owner, "a file path without NUL characters", path)
    return Path(text)


def built_model(config: dict[str, Any], arrays: dict[str, np.ndarray], path: Path,
                kind: str) -> Sequential:
    """The model of a checked archive: built from `config`, weights and buffers put in."""
    try:
        model = model_from_config(config)
        model.set_weights([arrays[f"param_{i}"] for i in range(len(model.params))])
        model.set_buffers([arrays[f"buffer_{i}"] for i in range(len(model.buffers))])
    except Exception as error:  # whatever the constructors (a user's too) say of the config
        raise ModelFileError(f"{path} is not a readable {kind} file: its config does not "
                             f"build: {error}") from None
    return model


def _checked_metadata(metadata: Any) -> dict[str, Any]:
    """`metadata` if it is None or a dict of JSON-able values under str keys."""
    expected = "None or a dict of JSON-able values (str, int, float, bool, None, lists and " \
               "dicts of those) under str keys"
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise invalid("metadata", "save", expected, metadata)
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise invalid("metadata", "save", expected, f"the key {key!r}", raw=True)
        try:
            json.dumps(value)
        except (TypeError, ValueError, RecursionError) as error:
            raise invalid("metadata", "save", expected, f"{error} under the key {key!r}",
                          raw=True) from None
    return metadata


def _check_writable_header(header: dict[str, Any], n_arrays: int, owner: str) -> None:
    """Refuse to write a header that loading would refuse (too large or too deep)."""
    try:
        config_size = len(json.dumps(header["config"]))
    except (TypeError, ValueError, RecursionError) as error:
        raise invalid("model", owner, "a model whose get_config() is JSON-able",
                      f"a config that is not ({error})", raw=True) from None
    metadata_size = len(json.dumps(header["metadata"]).encode("utf-8"))
    room = MAX_HEADER_BYTES - 256 - 128 * n_arrays  # the rest of the header, the array list
    if config_size + metadata_size > room:
        name, size = (("metadata", metadata_size) if metadata_size > config_size else
                      ("model", config_size))
        raise invalid(name, owner, f"small enough for a file header of at most "
                      f"{MAX_HEADER_BYTES} bytes", f"{size} bytes of JSON", raw=True)
    if nesting_depth(header["metadata"]) > MAX_HEADER_DEPTH - 1:
        raise invalid("metadata", owner, f"nested at most {MAX_HEADER_DEPTH - 1} deep",
                      "deeper nesting", raw=True)


def write_archive(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """An NPZ of `arrays` plus the JSON `header`, completed with array list and checksum."""
    header = {**header, "arrays": [{"name": name, "shape": list(a.shape), "dtype": a.dtype.str}
                                   for name, a in arrays.items()]}
    header["sha256"] = digest(header, arrays)
    encoded = json.dumps(header).encode("utf-8")
    if len(encoded) > MAX_HEADER_BYTES:
        raise ValueError(f"Cannot write {path}: its header would be {len(encoded)} bytes, "
                         f"more than the {MAX_HEADER_BYTES} a reader accepts")
    encoded = np.frombuffer(encoded, dtype=np.uint8)
    write_atomically(path, lambda file: np.savez(file, **arrays, **{HEADER: encoded}))


def read_archive(path: Path, file_format: str, version: int, *,
                 extra_arrays: re.Pattern[str] | None = None, for_building: bool = False
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of an archive `write_archive` made, every check passed.

    extra_arrays: names of arrays the format holds beside the model's
    ``param_i`` and ``buffer_i`` (a checkpoint's optimizer state, history, ...);
    a model file holds none.
    for_building: the caller builds the model the config describes, so a config
    whose building would cost far more than the file (`buildable_member_layers`)
    is refused too.
    """
    kind = file_format.replace("-", " ")  # "mlplab model", "mlplab checkpoint"
    if not path.is_file():
        raise FileNotFoundError(f"No {kind} file at {path}")
    if not zipfile.is_zipfile(path):  # before anything that would guess at pickles and .npy
        raise ModelFileError(f"{path} is not a readable {kind} file: it is not an NPZ (zip) "
                             "archive")
    try:
        with zipfile.ZipFile(path) as archive:
            reader = _ArchiveReader(archive, path, kind)
            header = reader.header(file_format, version)
            if for_building:
                reader.check_building(header["config"])
            return header, reader.arrays(header, extra_arrays)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError,
            TypeError, NotImplementedError) as error:  # the last: zip features, from zipfile
        raise ModelFileError(f"{path} is not a readable {kind} file: {error}") from None


class _ArchiveReader:
    """One open archive, read in the order of the module docstring: sizes before bytes."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, kind: str) -> None:
        self.archive, self.path, self.kind = archive, path, kind
        self.members = self._directory()

    def refuse(self, problem: str) -> ModelFileError:
        return ModelFileError(f"{self.path} is not a readable {self.kind} file: {problem}")

    def _directory(self) -> dict[str, zipfile.ZipInfo]:
        """Name (without .npy) -> member, after the checks on the zip directory alone."""
        members: dict[str, zipfile.ZipInfo] = {}
        size = self.path.stat().st_size
        for info in self.archive.infolist():
            name = info.filename.removesuffix(".npy")
            if name in members:
                raise self.refuse(f"it holds two members named {info.filename!r}")
            if info.flag_bits & _NOT_ENCRYPTED:
                raise self.refuse(f"its member {info.filename!r} is encrypted or patched (zip "
                                  f"flags {info.flag_bits:#x}); mlplab files are neither")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise self.refuse(f"its member {info.filename!r} uses compression method "
                                  f"{info.compress_type}; mlplab reads stored or deflated "
                                  "members only")
            bound = info.file_size + info.file_size // 1024 + 64  # deflate's worst expansion
            if (info.compress_type == zipfile.ZIP_STORED
                    and info.compress_size != info.file_size) or info.compress_size > bound:
                raise self.refuse(f"its member {info.filename!r} declares {info.file_size} "
                                  f"bytes but {info.compress_size} compressed")
            if info.header_offset + info.compress_size > size:
                raise self.refuse(f"its member {info.filename!r} runs past the end of the file")
            members[name] = info
        declared = sum(info.file_size for info in members.values())
        if declared > MAX_INFLATION * size:
            raise self.refuse(f"its members would inflate to {declared} bytes, more than "
                              f"{MAX_INFLATION} times the file's {size} (a zip bomb?)")
        return members

    def header(self, file_format: str, version: int) -> dict[str, Any]:
        """The JSON header, bounded in size and depth, of the right format and version."""
        info = self.members.get(HEADER)
        if info is None:
            raise ModelFileError(f"{self.path} is an NPZ archive but not an {self.kind} file "
                                 f"(no {HEADER!r} entry; it holds {sorted(self.members)[:5]})")
        if info.file_size > MAX_HEADER_BYTES + NPY_PREAMBLE:
            raise self.refuse(f"its header is {info.file_size} bytes; a header holds at most "
                              f"{MAX_HEADER_BYTES}")
        with self.archive.open(info) as member:
            stream = _Bounded(member, info.file_size)
            shape, fortran, dtype = self._npy_header(stream, HEADER)
            if dtype != np.uint8 or len(shape) != 1 or shape[0] != stream.left:
                raise self.refuse(f"its header entry holds shape {shape} and dtype {dtype}, "
                                  "not the bytes of a JSON text")
            raw = _filled(stream, shape, dtype, fortran).tobytes()
        header = self._parsed(raw)
        found = header.get("format") if isinstance(header, dict) else None
        if found != file_format:
            raise ModelFileError(f"{self.path} is not an {self.kind} file (format {found!r})")
        if header.get("version") != version:
            raise ModelFileError(f"{self.path} has {self.kind} file version "
                                 f"{header.get('version')!r}; this mlplab reads version "
                                 f"{version}. Upgrade mlplab to read it.")
        self._check_fields(header)
        return header

    def _parsed(self, raw: bytes) -> Any:
        try:
            header = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise self.refuse(f"its header is nested more than {MAX_HEADER_DEPTH} deep") from None
        except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
            raise ModelFileError(f"{self.path} has an unreadable header: {error}") from None
        if nesting_depth(header) > MAX_HEADER_DEPTH:
            raise self.refuse(f"its header is nested more than {MAX_HEADER_DEPTH} deep")
        return header

    def _check_fields(self, header: dict[str, Any]) -> None:
        """The header's own fields: a config, a metadata dict, a checksum, a list of arrays."""
        if not isinstance(header.get("config"), dict):
            raise self.refuse(f"its config is {_short(header.get('config'))}, not a dict")
        if not isinstance(header.get("metadata", {}), dict):
            raise self.refuse("its metadata is not a dict")
        if not isinstance(header.get("sha256"), str):
            raise self.refuse("its header has no checksum")
        listed = header.get("arrays")
        if not isinstance(listed, list) or not all(_is_array_entry(e) for e in listed):
            raise self.refuse("its header's list of arrays is not a list of {'name', 'shape', "
                              "'dtype'} entries of plain numeric dtypes")
        names = [entry["name"] for entry in listed]
        if len(set(names)) != len(names) or HEADER in names:
            raise self.refuse("its header lists an array name twice")

    def check_building(self, config: dict[str, Any]) -> None:
        """Refuse a config whose model costs far more to build than the file is large."""
        try:
            work = member_layers(config)
        except _ConfigError as problem:
            raise self.refuse(f"its config {problem}") from None
        allowed = buildable_member_layers(self.path.stat().st_size)
        if work > allowed:
            raise self.refuse(f"its model has {work} layers x population members; a file of "
                              f"{self.path.stat().st_size} bytes may make mlplab build at "
                              f"most {allowed}")

    def arrays(self, header: dict[str, Any], extra: re.Pattern[str] | None
               ) -> dict[str, np.ndarray]:
        """Every listed array, read only after all of them passed the size checks."""
        listed = {e["name"]: (tuple(e["shape"]), np.dtype(e["dtype"])) for e in header["arrays"]}
        self._check_against_config(header["config"], listed, extra)
        for name in listed:
            if name not in self.members:
                raise ModelFileError(f"{self.path} is missing the array {name!r} its header "
                                     "lists")
        unlisted = sorted(set(self.members) - set(listed) - {HEADER})
        if unlisted:
            raise self.refuse(f"it holds arrays its header does not list: {unlisted[:5]}")
        for name, (shape, dtype) in listed.items():
            self._check_size(name, shape, dtype)
        arrays = {name: self._array(name, shape, dtype) for name, (shape, dtype) in
                  listed.items()}
        if digest(header, arrays) != header["sha256"]:
            raise ModelFileError(f"{self.path} failed its checksum: the weights or settings "
                                 "were changed after saving (or the file is damaged)")
        return arrays

    def _check_against_config(self, config: dict[str, Any],
                              listed: dict[str, tuple[tuple[int, ...], np.dtype]],
                              extra: re.Pattern[str] | None) -> None:
        """The model's arrays must be exactly those its config implies; others, the format's."""
        try:
            implied = implied_arrays(config)
        except _ConfigError as problem:
            raise self.refuse(f"its config {problem}") from None
        for name, (shape, dtype) in implied.items():
            if name not in listed:
                raise self.refuse(f"its config implies an array {name!r} of shape "
                                  f"{list(shape)}, which its header does not list")
            if listed[name] != (shape, np.dtype(dtype)):
                found_shape, found_dtype = listed[name]
                raise self.refuse(f"its config implies {name!r} of shape {list(shape)} and "
                                  f"dtype {dtype}, but its header lists shape "
                                  f"{list(found_shape)} and dtype {found_dtype.str}")
        for name in listed:
            if name not in implied and (extra is None or not extra.fullmatch(name)):
                raise self.refuse(f"its header lists an array {name!r} that its config does "
                                  "not imply")

    def _check_size(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        info = self.members[name]
        need = math.prod(shape) * dtype.itemsize
        if not need <= info.file_size <= need + NPY_PREAMBLE:
            raise self.refuse(f"its member {info.filename!r} declares {info.file_size} bytes, "
                              f"but shape {list(shape)} and dtype {dtype.str} need {need} "
                              "(and a short .npy header)")

    def _array(self, name: str, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        info = self.members[name]
        with self.archive.open(info) as member:
            stream = _Bounded(member, info.file_size)
            found, fortran, found_dtype = self._npy_header(stream, name)
            if found != shape or found_dtype != dtype:
                raise ModelFileError(f"{self.path}: array {name!r} has shape {found} and dtype "
                                     f"{found_dtype}, but the header says {list(shape)} "
                                     f"{dtype.str}")
            if stream.left != math.prod(shape) * dtype.itemsize:
                raise self.refuse(f"its member {info.filename!r} holds {stream.left} bytes of "
                                  f"data; shape {list(shape)} and dtype {dtype.str} need "
                                  f"{math.prod(shape) * dtype.itemsize}")
            return _filled(stream, shape, dtype, fortran)

    def _npy_header(self, stream: _Bounded, name: str) -> tuple[tuple[int, ...], bool, Any]:
        """(shape, fortran_order, dtype) of an .npy member; object arrays are refused."""
        try:
            major, minor = np.lib.format.read_magic(stream)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get((major, minor))
            if read is None:
                raise ValueError(f"npy format version {major}.{minor} is not one mlplab writes")
            shape, fortran, dtype = read(stream, max_header_size=NPY_PREAMBLE)
        except (ValueError, SyntaxError, TypeError, OverflowError, RecursionError) as error:
            raise self.refuse(f"its member {name!r} is not .npy data: {error}") from None
        if dtype.hasobject:
            raise self.refuse(f"its array {name!r} holds Python objects, which only pickle "
                              "could read; mlplab reads with allow_pickle=False and refuses it")
        return shape, fortran, dtype


class _Bounded:
    """A member stream that hands out at most its declared bytes, a chunk per read.

    zipfile inflates as much as a read asks for before trimming to the
    member's size, so every read is capped here, before it reaches zipfile.
    """

    def __init__(self, stream: Any, size: int) -> None:
        self.stream, self.left = stream, size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n is None or n < 0 else min(n, self.left)
        data = self.stream.read(min(n, READ_CHUNK))
        self.left -= len(data)
        return data


def _filled(stream: _Bounded, shape: tuple[int, ...], dtype: Any, fortran: bool
            ) -> np.ndarray:
    """An array of `shape` read from `stream` in chunks (its size was checked already)."""
    flat = np.empty(math.prod(shape), dtype=dtype)
    view, done = flat.view(np.uint8), 0
    while done < view.size:
        chunk = stream.read(view.size - done)
        if not chunk:
            raise EOFError(f"the data ends after {done} of {view.size} bytes")
        view[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        done += len(chunk)
    return flat.reshape(shape, order="F" if fortran else "C")


def _is_array_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and set(entry) == {"name", "shape", "dtype"}
            and isinstance(entry["name"], str) and isinstance(entry["dtype"], str)
            and _DTYPE.fullmatch(entry["dtype"]) is not None
            and isinstance(entry["shape"], list) and len(entry["shape"]) <= 32
            and all(_is_int(n) and n >= 0 for n in entry["shape"]))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in `value` (a scalar: 0), in memory of that depth."""
    deepest, stack = 0, [iter([value])]
    while stack:
        for item in stack[-1]:
            if isinstance(item, dict | list | tuple):
                stack.append(iter(item.values() if isinstance(item, dict) else item))
                deepest = max(deepest, len(stack) - 1)
                break
        else:
            stack.pop()
    return deepest


# What a config implies: the arrays of the model it builds, computed without building it.

_MODEL_KEYS = {"MLP": {"class", "sizes", "activation", "output_activation", "bias", "init",
                       "dtype", "population", "seed"},
               "Sequential": {"class", "layers", "init", "dtype", "population", "seed"}}


class _ConfigError(ValueError):
    """What is wrong with a config; the reader turns it into a ModelFileError."""


def implied_arrays(config: Any) -> dict[str, tuple[tuple[int, ...], str]]:
    """``{"param_0": (shape, dtype), ..., "buffer_0": ...}`` of the model `config` builds.

    Only numbers are looked at: a config declaring a billion units costs
    nothing here, so a file can be refused before its model is built.
    Layers are constructed (their constructors check their options and allocate
    nothing); a layer class of the user's with parameters is asked for their
    shapes through `init_params` with an initializer that allocates nothing.
    """
    if not isinstance(config, dict):
        raise _ConfigError(f"is {_short(config)}, not a dict")
    kind = config.get("class")
    if kind not in _MODEL_KEYS:
        raise _ConfigError(f"names the class {_short(kind)}, not one of "
                           f"{sorted(_MODEL_KEYS)}")
    unknown = sorted(set(config) - _MODEL_KEYS[kind])
    if unknown:
        raise _ConfigError(f"has keys {kind} does not take: {unknown}")
    dtype = config.get("dtype", "float64")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise _ConfigError(f"has dtype {_short(dtype)}, not one of {sorted(DTYPES)}")
    population = _population(config)
    params, buffers = _mlp_shapes(config) if kind == "MLP" else _sequential_shapes(config)
    code = np.dtype(dtype).str
    implied = {f"param_{i}": ((*population, *s), code) for i, s in enumerate(params)}
    implied.update({f"buffer_{i}": ((*population, *s), code) for i, s in enumerate(buffers)})
    return implied


def member_layers(config: Any) -> int:
    """Layers times population members: the count of per-member draws building takes.

    Each costs about half a kilobyte and 50 microseconds however small its
    weights (`Sequential` initializes every member on its own), so this, not
    the weights alone, bounds what loading a population of tiny models costs.
    """
    if not isinstance(config, dict):
        raise _ConfigError(f"is {_short(config)}, not a dict")
    population = _population(config)
    layers = config.get("layers")
    sizes = config.get("sizes")
    count = (len(layers) if isinstance(layers, list) else
             2 * (len(sizes) - 1) if isinstance(sizes, list) else 0)
    return count * (population[0] if population else 1)


def buildable_member_layers(n_bytes: int) -> int:
    """The most layers x population members a file of `n_bytes` may make loading build."""
    return max(MEMBER_LAYERS, n_bytes // BYTES_PER_MEMBER_LAYER)


def _population(config: dict[str, Any]) -> tuple[int, ...]:
    """The population axes a config's seed and population agree on."""
    population = config.get("population", [])
    if not isinstance(population, list) or len(population) > 1 or not all(
            _is_int(k) and k >= 1 for k in population):
        raise _ConfigError(f"has population {_short(population)}, not [] or [K] with K >= 1")
    if "seed" not in config:
        return tuple(population)
    seed = config["seed"]
    seeds = seed if isinstance(seed, list) else [seed]
    if not seeds or not all(s is None or (_is_int(s) and s >= 0) for s in seeds):
        raise _ConfigError(f"has seed {_short(seed)}, not None, an int >= 0 or a list of "
                           "those")
    implied = [len(seed)] if isinstance(seed, list) else []
    if "population" in config and population != implied:
        raise _ConfigError(f"has population {population} but {len(seeds)} seed(s)")
    return tuple(implied)


def _mlp_shapes(config: dict[str, Any]) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    sizes, bias = config.get("sizes"), config.get("bias", True)
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(
            _is_int(n) and n >= 1 for n in sizes):
        raise _ConfigError(f"has sizes {_short(sizes)}, not a list of at least two ints >= 1")
    if not isinstance(bias, bool):
        raise _ConfigError(f"has bias {_short(bias)}, not true or false")
    params: list[tuple[int, ...]] = []
    for n_in, n_out in itertools.pairwise(sizes):
        params += [(n_in, n_out), (n_out,)] if bias else [(n_in, n_out)]
    return params, []


def _sequential_shapes(config: dict[str, Any]
                       ) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    layers = config.get("layers")
    if not isinstance(layers, list) or not layers:
        raise _ConfigError(f"has layers {_short(layers)}, not a non-empty list")
    params: list[tuple[int, ...]] = []
    buffers: list[tuple[int, ...]] = []
    for i, layer_config in enumerate(layers):
        layer = _layer(i, layer_config)
        layer_params, layer_buffers = _layer_shapes(layer)
        params += layer_params
        buffers += layer_buffers
    return params, buffers


def _layer(i: int, config: Any) -> Layer:
    """Layer `i` of a config, constructed (options checked, no arrays drawn)."""
    try:
        layer = layer_from_config(config)
    except Exception as error:  # a user's layer class may raise anything at a bad config
        raise _ConfigError(f"has an unusable layer {i}: {error}") from None
    if isinstance(layer, Activation):
        try:
            takes = set(list(inspect.signature(layer.fn.forward).parameters)[1:]) - {"xp"}
        except (TypeError, ValueError):  # a function without a signature takes no options
            takes = set()
        for key, value in layer.kwargs.items():
            if key not in takes or not _is_finite_number(value):
                raise _ConfigError(f"has an unusable layer {i}: the activation "
                                   f"{layer.name!r} takes no option {key}={_short(value)}")
    return layer


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _layer_shapes(layer: Layer) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """(parameter shapes, buffer shapes) of one model's `layer`, without a population."""
    if type(layer) is Dense:
        return [(layer.n_in, layer.n_out), (layer.n_out,)][:1 + layer.bias], []
    if type(layer) is BatchNorm:
        return [(layer.n_features,)] * 2, [(layer.n_features,)] * 2
    if not layer.param_names and not layer.buffer_names:  # Activation, Dropout, ...
        return [], []
    return _user_layer_shapes(layer)


def _user_layer_shapes(layer: Layer) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    """A user's layer's shapes, drawn without memory where its `init_params` allows."""
    try:
        try:
            params = layer.init_params(np.random.default_rng(0), _shape_only)
        except Exception:  # it wrote into what it drew: zeros, as large as the config says
            params = layer.init_params(np.random.default_rng(0), lambda shape, _: np.zeros(shape))
        buffers = layer.init_buffers()
    except Exception as error:
        raise _ConfigError(f"has a {type(layer).__name__} layer that cannot draw its arrays: "
                           f"{error}") from None
    return [tuple(np.shape(p)) for p in params], [tuple(np.shape(b)) for b in buffers]


def _shape_only(shape: tuple[int, ...], rng: Any) -> np.ndarray:
    """An initializer whose arrays have the shape asked for and no memory of their own."""
    return np.broadcast_to(np.zeros(()), shape)


# Writing.

def write_atomically(path: Path, write: Callable[[Any], Any]) -> None:
    """Call ``write(file)`` on a temporary file beside `path`, then rename it to `path`.

    The temporary is named ``.NAME.PID.XXXXXXXX.tmp``; a writer killed before
    its rename leaves it behind, and the next write to `path` removes it once
    its process is gone or it has not changed for `STALE_AFTER` seconds.
    """
    folder = path.parent
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                         dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the abandoned temporaries of earlier writes to `path`; returns them.

    Only regular files named as `write_atomically` names them for this very
    target are candidates: those whose writer process no longer exists, or
    (a writer on another machine, a reused process id) that have not been
    written for `STALE_AFTER` seconds.
    """
    pattern = re.compile(re.escape(f".{path.name}.") + r"(\d+)\.[a-z0-9_]{8}\.tmp")
    removed = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed  # the write itself will report a missing or unreadable folder
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        try:
            if not match or not entry.is_file(follow_symlinks=False):
                continue
            stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER
            if stale or not _process_exists(int(match.group(1))):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def _process_exists(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (True when that cannot be told)."""
    if os.name != "posix" or pid <= 0:  # Windows' os.kill(pid, 0) would stop the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process; or a number no pid can be
    return True


def named_arrays(model: Any) -> dict[str, np.ndarray]:
    """A model's parameters and buffers under their file names, as NumPy arrays."""
    arrays = {f"param_{i}": to_numpy(p) for i, p in enumerate(model.params)}
    arrays.update({f"buffer_{i}": to_numpy(b) for i, b in enumerate(model.buffers)})
    return arrays


def digest(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the header (canonical JSON, less its checksum) and every array's bytes."""
    meta = {key: value for key, value in header.items() if key != "sha256"}
    sha = hashlib.sha256(json.dumps(meta, sort_keys=True).encode("utf-8"))
    for name, a in arrays.items():
        sha.update(name.encode("utf-8"))
        sha.update(np.ascontiguousarray(a).data)  # the bytes in place, not a copy
    return sha.hexdigest()
