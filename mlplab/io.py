"""Saving and loading models: one NPZ file, no pickle anywhere.

The file is a NumPy ``.npz`` archive holding each parameter and buffer array
(``param_0``, ``param_1``, ..., ``buffer_0``, ...) and one more entry,
``__mlplab__``, whose bytes are a UTF-8 JSON header:

    {"format": "mlplab-model", "version": 1, "config": model.get_config(),
     "arrays": [{"name", "shape", "dtype"}, ...], "sha256": "..."}

Loading reads the archive with ``allow_pickle=False``, so no code in a file can
ever run; it checks the format and version, rebuilds the architecture from
the config, checks every array's name, shape and dtype against the header,
and the SHA-256 of the header's config and all array bytes, so a foreign,
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

from mlplab.model import model_from_config

FORMAT, VERSION = "mlplab-model", 1
HEADER = "__mlplab__"


class ModelFileError(ValueError):
    """A file that is not a readable mlplab model (foreign, truncated, tampered, too new)."""


def save(model: Any, path: str | os.PathLike) -> Path:
    """Write `model` (architecture, weights, running statistics) to `path`, atomically."""
    path = Path(path)
    arrays = _named_arrays(model)
    header = {"format": FORMAT, "version": VERSION, "config": model.get_config(),
              "arrays": [{"name": name, "shape": list(a.shape), "dtype": a.dtype.str}
                         for name, a in arrays.items()]}
    header["sha256"] = _digest(header["config"], arrays)
    encoded = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    write_atomically(path, lambda file: np.savez(file, **arrays, **{HEADER: encoded}))
    return path


def load(path: str | os.PathLike) -> Any:
    """The model saved at `path`; raises ModelFileError for anything but a good mlplab file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            header = _header(archive, path)
            arrays = _checked_arrays(archive, header, path)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        if isinstance(error, ModelFileError):
            raise
        raise ModelFileError(f"{path} is not a readable mlplab model file: {error}") from None
    model = model_from_config(header["config"])
    names = list(arrays)
    n_params = len(model.params)
    model.set_weights([arrays[n] for n in names[:n_params]])
    model.set_buffers([arrays[n] for n in names[n_params:]])
    return model


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


def _named_arrays(model: Any) -> dict[str, np.ndarray]:
    arrays = {f"param_{i}": p for i, p in enumerate(model.params)}
    arrays.update({f"buffer_{i}": b for i, b in enumerate(model.buffers)})
    return arrays


def _digest(config: dict[str, Any], arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over the config (canonical JSON) and every array's name and bytes."""
    sha = hashlib.sha256(json.dumps(config, sort_keys=True).encode("utf-8"))
    for name, a in arrays.items():
        sha.update(name.encode("utf-8"))
        sha.update(np.ascontiguousarray(a).tobytes())
    return sha.hexdigest()


def _header(archive: Any, path: Path) -> dict[str, Any]:
    if HEADER not in archive.files:
        raise ModelFileError(f"{path} is an NPZ archive but not an mlplab model file "
                             f"(no {HEADER!r} entry; it holds {sorted(archive.files)[:5]})")
    try:
        header = json.loads(archive[HEADER].tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path} has an unreadable mlplab header: {error}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an mlplab model file (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") != VERSION:
        raise ModelFileError(f"{path} has model file version {header.get('version')!r}; this "
                             f"mlplab reads version {VERSION}. Upgrade mlplab to read it.")
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
    if _digest(header["config"], arrays) != header.get("sha256"):
        raise ModelFileError(f"{path} failed its checksum: the weights or architecture were "
                             "changed after saving (or the file is damaged)")
    return arrays
