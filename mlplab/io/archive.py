"""The NPZ archive of a model file or checkpoint: written whole, read with every check.

An archive holds named ``.npy`` arrays and one more member, `HEADER`, whose
bytes are a UTF-8 JSON text: the format's own fields plus the list of arrays
(name, shape, dtype) and a SHA-256 over the header and every array's bytes.
`write_archive` completes the header and writes it atomically
(`mlplab.io.atomic`); `read_archive` reads it back in the order the package
docstring (`mlplab.io`) lists: the zip directory, the header (bounded in size
and depth), the config's cost and implied arrays (`mlplab.io.shapes`), each
member's size, then the bytes in bounded chunks, then the checksum. Nothing is
unpickled, and anything wrong is one `ModelFileError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.backend import to_numpy
from mlplab.io.atomic import write_atomically
from mlplab.io.shapes import (
    _ConfigError,
    _is_int,
    _short,
    buildable_member_layers,
    implied_arrays,
    member_layers,
)

HEADER = "__mlplab__"
MAX_HEADER_BYTES = 1 << 20  # the JSON header: config, metadata and the array list
MAX_HEADER_DEPTH = 64  # its nesting; mlplab's own headers nest about 5 deep
MAX_INFLATION = 8  # array bytes a file may declare per byte it occupies (mlplab stores: 1)
NPY_PREAMBLE = 4096  # the most an .npy member's own header may take before its data
READ_CHUNK = 1 << 20
_DTYPE = re.compile(r"[<>|][biuf][1248]")  # plain numbers: nothing that needs pickle
_NOT_ENCRYPTED = 0x1 | 0x20 | 0x40  # zip flags: encrypted, patched data, strong encryption


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model (foreign, truncated, tampered, too new)."""


def write_archive(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """An NPZ of `arrays` plus the JSON `header`, completed with array list and checksum."""
    encoded = np.frombuffer(completed_header(path, header, arrays), dtype=np.uint8)
    write_atomically(path, lambda file: np.savez(file, **arrays, **{HEADER: encoded}))


def completed_header(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]
                     ) -> bytes:
    """`header` with the list of `arrays` and the checksum, as the UTF-8 JSON a file stores."""
    header = {**header, "arrays": [{"name": name, "shape": list(a.shape), "dtype": a.dtype.str}
                                   for name, a in arrays.items()]}
    header["sha256"] = digest(header, arrays)
    encoded = json.dumps(header).encode("utf-8")
    if len(encoded) > MAX_HEADER_BYTES:
        raise ValueError(f"Cannot write {path}: its header would be {len(encoded)} bytes, "
                         f"more than the {MAX_HEADER_BYTES} a reader accepts")
    return encoded


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


class HeaderChecks:
    """The checks of a model file's JSON header, whatever holds it (NPZ, safetensors).

    A reader for one file format subclasses this: it finds the header's bytes
    (`checked_header`), the config's cost (`check_building`), the arrays it
    lists against the config (`listed`), and once the arrays are read, the
    checksum (`checksummed`); everything wrong is `refuse`d naming the file.
    """

    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind

    def refuse(self, problem: str) -> ModelFileError:
        return ModelFileError(f"{self.path} is not a readable {self.kind} file: {problem}")

    def checked_header(self, raw: bytes, file_format: str, version: int) -> dict[str, Any]:
        """The JSON header in `raw`, bounded in depth, of the right format, version and fields."""
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

    def listed(self, header: dict[str, Any], extra: re.Pattern[str] | None
               ) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        """Name -> (shape, dtype) of the header's arrays, checked against its config."""
        listed = {e["name"]: (tuple(e["shape"]), np.dtype(e["dtype"])) for e in header["arrays"]}
        self._check_against_config(header["config"], listed, extra)
        return listed

    def checksummed(self, header: dict[str, Any], arrays: dict[str, np.ndarray]
                    ) -> dict[str, np.ndarray]:
        """`arrays`, if the header's SHA-256 says they and the header are as saved."""
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


class _ArchiveReader(HeaderChecks):
    """One open archive, read in the order `mlplab.io` lists: sizes before bytes."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, kind: str) -> None:
        super().__init__(path, kind)
        self.archive = archive
        self.members = self._directory()

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
        return self.checked_header(raw, file_format, version)

    def arrays(self, header: dict[str, Any], extra: re.Pattern[str] | None
               ) -> dict[str, np.ndarray]:
        """Every listed array, read only after all of them passed the size checks."""
        listed = self.listed(header, extra)
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
        return self.checksummed(header, arrays)

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
