"""A model file in the safetensors format: the same header and checks as the NPZ archive.

A safetensors file (https://github.com/huggingface/safetensors) is

    8 bytes: N, the length of the JSON header (unsigned, little-endian)
    N bytes: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}, ...}
    the data: every tensor's bytes, little-endian, at [begin, end) of this part

mlplab stores its parameters and buffers as tensors (``param_0``, ...,
``buffer_0``, ...) and its JSON header (the NPZ format's: format, version,
config, metadata, the list of arrays and the SHA-256; see `mlplab.io`) as the
text of one metadata entry, ``"__mlplab__"``. Writing goes through the
`safetensors` package (the ``safetensors`` extra); reading does not need it:
the format is read here, in the order `mlplab.io` lists for NPZ, so that
nothing is allocated before its size is known to be honest:

1. the length N against the file's size and `MAX_SAFETENSORS_HEADER`;
2. the JSON (bounded in depth), its metadata, then mlplab's header inside it
   (size, depth, format, version, fields: `HeaderChecks`);
3. the cost of building the model and the arrays its config implies;
4. every tensor's entry against that list (names, shapes, dtypes), its byte
   range against its shape, and the ranges tiling the data exactly (no gap,
   no overlap, nothing past the end of the file);
5. only then the bytes, in bounded chunks; then the checksum.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mlplab.io.archive import (
    HEADER,
    MAX_HEADER_BYTES,
    READ_CHUNK,
    HeaderChecks,
    ModelFileError,
    completed_header,
)
from mlplab.io.atomic import write_atomically
from mlplab.io.shapes import _is_int

SUFFIX = ".safetensors"
# The outer JSON: mlplab's header escaped as one string (at most twice its length) and an
# entry per tensor, which that header lists too.
MAX_SAFETENSORS_HEADER = 3 * MAX_HEADER_BYTES
# safetensors' dtype names, for the plain numbers an mlplab header may list (little-endian).
DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I8": "|i1", "I16": "<i2", "I32": "<i4",
          "I64": "<i8", "U8": "|u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "|b1"}
_EXTRA = 'pip install "mlplab[safetensors]"'


def is_safetensors(path: Path) -> bool:
    """Whether `path` names a safetensors file: its extension is ``.safetensors``."""
    return path.suffix.lower() == SUFFIX


def write_safetensors(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]
                      ) -> None:
    """`arrays` as tensors and the completed JSON `header` as metadata, written atomically."""
    try:
        from safetensors.numpy import save as encode
    except ImportError:
        raise ImportError(f"Saving to a .safetensors file needs the safetensors package: "
                          f"{_EXTRA} (or save to .npz)") from None
    text = completed_header(path, header, arrays).decode("utf-8")
    contiguous = {name: np.ascontiguousarray(a) for name, a in arrays.items()}
    data = encode(contiguous, metadata={HEADER: text})
    length = int.from_bytes(data[:8], "little")
    if length > MAX_SAFETENSORS_HEADER:
        raise ValueError(f"Cannot write {path}: its safetensors header would be {length} "
                         f"bytes, more than the {MAX_SAFETENSORS_HEADER} a reader accepts")
    write_atomically(path, lambda file: file.write(data))


def read_safetensors(path: Path, file_format: str, version: int, *, for_building: bool = False
                     ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of a safetensors model file, every check passed (see the module)."""
    kind = file_format.replace("-", " ")
    if not path.is_file():
        raise FileNotFoundError(f"No {kind} file at {path}")
    try:
        with open(path, "rb") as file:
            reader = _SafetensorsReader(file, path, kind)
            header = reader.header(file_format, version)
            if for_building:
                reader.check_building(header["config"])
            return header, reader.arrays(header)
    except ModelFileError:
        raise
    except (OSError, ValueError, EOFError, TypeError, KeyError) as error:
        raise ModelFileError(f"{path} is not a readable {kind} file: {error}") from None


class _SafetensorsReader(HeaderChecks):
    """One open safetensors file, read in the module's order: sizes before bytes."""

    def __init__(self, file: BinaryIO, path: Path, kind: str) -> None:
        super().__init__(path, kind)
        self.file, self.size = file, os.fstat(file.fileno()).st_size
        self.tensors: dict[str, Any] = {}
        self.data_start = 0

    def header(self, file_format: str, version: int) -> dict[str, Any]:
        """mlplab's header, from the metadata of the bounded outer JSON."""
        outer = self._parsed(self._outer_bytes())
        if not isinstance(outer, dict):
            raise self.refuse("its safetensors header is not a JSON object")
        metadata = outer.pop("__metadata__", None)
        if not isinstance(metadata, dict) or not isinstance(metadata.get(HEADER), str):
            raise ModelFileError(f"{self.path} is a safetensors file but not an {self.kind} "
                                 f"file (no {HEADER!r} metadata entry)")
        if set(metadata) != {HEADER}:
            raise self.refuse(f"its metadata holds entries other than {HEADER!r}: "
                              f"{sorted(set(metadata) - {HEADER})[:5]}")
        raw = metadata[HEADER].encode("utf-8")
        if len(raw) > MAX_HEADER_BYTES:
            raise self.refuse(f"its header is {len(raw)} bytes; a header holds at most "
                              f"{MAX_HEADER_BYTES}")
        self.tensors = outer
        return self.checked_header(raw, file_format, version)

    def _outer_bytes(self) -> bytes:
        """The N bytes of the outer JSON, once N is known to fit the file and the limit."""
        if self.size < 8:
            raise self.refuse(f"it is {self.size} bytes, too short for a safetensors file")
        length = int.from_bytes(self._read(8), "little")
        if length > MAX_SAFETENSORS_HEADER:
            raise self.refuse(f"its safetensors header declares {length} bytes; mlplab reads "
                              f"at most {MAX_SAFETENSORS_HEADER}")
        if 8 + length > self.size:
            raise self.refuse(f"its safetensors header declares {length} bytes, more than the "
                              f"{self.size - 8} the file holds after its length")
        self.data_start = 8 + length
        return self._read(length)

    def arrays(self, header: dict[str, Any]) -> dict[str, np.ndarray]:
        """Every tensor, read only after all of them passed the checks of sizes and ranges."""
        listed = self.listed(header, None)
        ranges = {}
        for name, entry in self.tensors.items():
            if name not in listed:
                raise self.refuse(f"it holds arrays its header does not list: {name!r}")
            ranges[name] = self._range(name, entry, listed[name])
        missing = sorted(set(listed) - set(self.tensors))
        if missing:
            raise ModelFileError(f"{self.path} is missing the array {missing[0]!r} its header "
                                 "lists")
        self._check_tiling(ranges)
        arrays = {name: self._array(ranges[name][0], *listed[name]) for name in listed}
        return self.checksummed(header, arrays)

    def _range(self, name: str, entry: Any, expected: tuple[tuple[int, ...], np.dtype]
               ) -> tuple[int, int]:
        """[begin, end) of tensor `name`'s bytes, its entry agreeing with the header's list."""
        if not _is_tensor_entry(entry):
            raise self.refuse(f"its tensor {name!r} is not described by a dtype of plain "
                              "numbers, a shape and two data offsets")
        shape, dtype = tuple(entry["shape"]), np.dtype(DTYPES[entry["dtype"]])
        if (shape, dtype) != expected:
            raise self.refuse(f"its tensor {name!r} has shape {list(shape)} and dtype "
                              f"{entry['dtype']}, but its header lists shape "
                              f"{list(expected[0])} and dtype {expected[1].str}")
        begin, end = entry["data_offsets"]
        need = math.prod(shape) * dtype.itemsize
        if end - begin != need:
            raise self.refuse(f"its tensor {name!r} declares {end - begin} bytes, but shape "
                              f"{list(shape)} and dtype {dtype.str} need {need}")
        return begin, end

    def _check_tiling(self, ranges: dict[str, tuple[int, int]]) -> None:
        """The byte ranges cover the data after the header exactly, one after the other."""
        position, data = 0, self.size - self.data_start
        for name, (begin, end) in sorted(ranges.items(), key=lambda item: item[1]):
            if begin != position:
                raise self.refuse(f"its tensor {name!r} starts at byte {begin} of the data, "
                                  f"not at {position} where the one before it ends")
            position = end
        if position != data:
            raise self.refuse(f"its tensors end at byte {position} of the data, but the file "
                              f"holds {data} bytes of data (truncated, or with bytes added)")

    def _array(self, begin: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The tensor at `begin`, read in chunks into an array of its (checked) size."""
        self.file.seek(self.data_start + begin)
        flat = np.empty(math.prod(shape), dtype=dtype)
        view, done = flat.view(np.uint8), 0
        while done < view.size:
            chunk = self.file.read(min(view.size - done, READ_CHUNK))
            if not chunk:
                raise EOFError(f"the data ends after {done} of {view.size} bytes")
            view[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
        return flat.reshape(shape)

    def _read(self, n: int) -> bytes:
        data = self.file.read(n)
        if len(data) != n:
            raise self.refuse(f"it ends after {len(data)} of {n} bytes it should hold")
        return data


def _is_tensor_entry(entry: Any) -> bool:
    if not (isinstance(entry, dict) and set(entry) == {"dtype", "shape", "data_offsets"}):
        return False
    shape, offsets = entry["shape"], entry["data_offsets"]
    return (isinstance(entry["dtype"], str) and entry["dtype"] in DTYPES
            and isinstance(shape, list) and len(shape) <= 32
            and all(_is_int(n) and n >= 0 for n in shape)
            and isinstance(offsets, list) and len(offsets) == 2
            and all(_is_int(n) for n in offsets) and 0 <= offsets[0] <= offsets[1])
