"""Saving and loading models: one NPZ file, no pickle anywhere.

The file is a NumPy ``.npz`` archive holding each parameter and buffer array
(``param_0``, ``param_1``, ..., ``buffer_0``, ...) and one more entry,
``__mlplab__``, whose bytes are a UTF-8 JSON header:

    {"format": "mlplab-model", "version": 1, "config": model.get_config(),
     "arrays": [{"name", "shape", "dtype"}, ...], "sha256": "..."}

Loading reads the archive with ``allow_pickle=False``, so no code in a file can
ever run; it checks the format and version, rebuilds the architecture from
the config, checks every array's name, shape and dtype against the header,
and the SHA-256 of the header and all array bytes, so a foreign,
truncated or tampered file fails with one clear `ModelFileError`.

Files are written atomically: to a temporary file in the same folder, flushed
to disk, then renamed over the target, so a crash never leaves half a model
where a good one was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.backend import to_numpy
from mlplab.model import model_from_config

FORMAT, VERSION = "mlplab-model", 1
HEADER = "__mlplab__"


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model (foreign, truncated, tampered, too new)."""


def save(model: Any, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None
         ) -> Path:
    """Write `model` (architecture, weights, running statistics) to `path`, atomically.

    metadata: optional JSON-able facts to keep beside the model (the command
    line stores the task, the classes and the input scaling); see `read_metadata`.
    """
    path = Path(path)
    arrays = named_arrays(model)
    header = {"format": FORMAT, "version": VERSION, "config": model.get_config(),
              "metadata": metadata or {}}
    write_archive(path, header, arrays)
    return path


def load(path: str | os.PathLike, *, backend: Any = None) -> Any:
    """The model saved at `path`; raises ModelFileError for anything but a good mlplab file.

    backend: where the loaded model computes ("numpy", "cupy", ...); None
    leaves it on NumPy, following the data of its first predict or fit.
    """
    header, arrays = read_archive(Path(path), FORMAT, VERSION)
    model = model_from_config(header["config"])
    model.set_weights([arrays[f"param_{i}"] for i in range(len(model.params))])
    model.set_buffers([arrays[f"buffer_{i}"] for i in range(len(model.buffers))])
    return model if backend is None else model.to(backend)


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata a model file was saved with (checked like the rest of the file)."""
    header, _ = read_archive(Path(path), FORMAT, VERSION)
    return header.get("metadata", {})


def write_archive(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """An NPZ of `arrays` plus the JSON `header`, completed with array list and checksum."""
    header = {**header, "arrays": [{"name": name, "shape": list(a.shape), "dtype": a.dtype.str}
                                   for name, a in arrays.items()]}
    header["sha256"] = digest(header, arrays)
    encoded = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    write_atomically(path, lambda file: np.savez(file, **arrays, **{HEADER: encoded}))


def read_archive(path: Path, file_format: str, version: int
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of an archive `write_archive` made, every check passed."""
    kind = file_format.replace("-", " ")  # "mlplab model", "mlplab checkpoint"
    if not path.is_file():
        raise FileNotFoundError(f"No {kind} file at {path}")
    if not zipfile.is_zipfile(path):  # before np.load, which would guess at pickles and .npy
        raise ModelFileError(f"{path} is not a readable {kind} file: it is not an NPZ (zip) "
                             "archive")
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = _header(archive, path, file_format, version, kind)
            return header, _checked_arrays(archive, header, path)
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"{path} is not a readable {kind} file: {error}") from None


def write_atomically(path: Path, write: Any) -> None:
    """Call ``write(file)`` on a temporary file beside `path`, then rename it to `path`."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                         dir=path.parent or ".")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
        sha.update(np.ascontiguousarray(a).tobytes())
    return sha.hexdigest()


def _header(archive: Any, path: Path, file_format: str, version: int,
            kind: str) -> dict[str, Any]:
    if HEADER not in archive.files:
        raise ModelFileError(f"{path} is an NPZ archive but not an {kind} file "
                             f"(no {HEADER!r} entry; it holds {sorted(archive.files)[:5]})")
    try:
        header = json.loads(archive[HEADER].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path} has an unreadable header: {error}") from None
    found = header.get("format") if isinstance(header, dict) else None
    if found != file_format:
        raise ModelFileError(f"{path} is not an {kind} file (format {found!r})")
    if header.get("version") != version:
        raise ModelFileError(f"{path} has {kind} file version {header.get('version')!r}; "
                             f"this mlplab reads version {version}. Upgrade mlplab to read it.")
    return header


def _checked_arrays(archive: Any, header: dict[str, Any], path: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for entry in header["arrays"]:
        name = entry["name"]
        if name not in archive.files:
            raise ModelFileError(f"{path} is missing the array {name!r} its header lists")
        a = archive[name]
        if list(a.shape) != entry["shape"] or a.dtype.str != entry["dtype"]:
            raise ModelFileError(f"{path}: array {name!r} has shape {a.shape} and dtype "
                                 f"{a.dtype}, but the header says {entry['shape']} "
                                 f"{entry['dtype']}")
        arrays[name] = a
    if digest(header, arrays) != header.get("sha256"):
        raise ModelFileError(f"{path} failed its checksum: the weights or settings were "
                             "changed after saving (or the file is damaged)")
    return arrays
