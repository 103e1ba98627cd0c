"""Model files: `save`, `load` and `read_metadata`; one NPZ or safetensors file, no pickle.

The file's extension chooses its format: ``.safetensors`` is a safetensors file
(`mlplab.io.safetensors_file`: the same header as its metadata, the arrays as
tensors, the same checks in the same order); any other is the default, a
NumPy ``.npz`` archive holding each parameter and buffer array
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

The parts, one concept a module:

- `mlplab.io.archive`: the NPZ archive itself, written and read (checks 1, 2,
  5 and 6), with its size and depth limits and the checksum;
- `mlplab.io.safetensors_file`: the same model in a safetensors file, written
  through the ``safetensors`` package and read with the same checks;
- `mlplab.io.shapes`: what a config implies without building the model
  (checks 3 and 4);
- `mlplab.io.atomic`: writing a file atomically, and clearing what a killed
  writer left behind.

This module is the public face: saving and loading a model, and the names
checkpoints, the command line and the tests use from the parts.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.backend import get_backend
from mlplab.io.archive import (
    HEADER,
    MAX_HEADER_BYTES,
    MAX_HEADER_DEPTH,
    MAX_INFLATION,
    NPY_PREAMBLE,
    READ_CHUNK,
    ModelFileError,
    digest,
    named_arrays,
    nesting_depth,
    read_archive,
    write_archive,
)
from mlplab.io.atomic import STALE_AFTER, remove_stale_temporaries, write_atomically
from mlplab.io.safetensors_file import is_safetensors, read_safetensors, write_safetensors
from mlplab.io.shapes import (
    BYTES_PER_MEMBER_LAYER,
    MEMBER_LAYERS,
    buildable_member_layers,
    implied_arrays,
    member_layers,
)
from mlplab.layers import Layer
from mlplab.model import Sequential, model_from_config

__all__ = [
    "BYTES_PER_MEMBER_LAYER",
    "FORMAT",
    "HEADER",
    "MAX_HEADER_BYTES",
    "MAX_HEADER_DEPTH",
    "MAX_INFLATION",
    "MEMBER_LAYERS",
    "NPY_PREAMBLE",
    "READ_CHUNK",
    "STALE_AFTER",
    "VERSION",
    "ModelFileError",
    "buildable_member_layers",
    "built_model",
    "checked_path",
    "digest",
    "implied_arrays",
    "load",
    "load_with_metadata",
    "member_layers",
    "named_arrays",
    "nesting_depth",
    "read_archive",
    "read_metadata",
    "remove_stale_temporaries",
    "save",
    "write_archive",
    "write_atomically",
]

FORMAT, VERSION = "mlplab-model", 1


def save(model: Any, path: str | os.PathLike, *, metadata: dict[str, Any] | None = None
         ) -> Path:
    """Write `model` (architecture, weights, running statistics) to `path`, atomically.

    metadata: optional JSON-able facts to keep beside the model (the command
    line stores the task, the classes and the input scaling); see `read_metadata`.
    The extension chooses the format: ``.safetensors`` writes a safetensors file
    (needs ``pip install "mlplab[safetensors]"``), anything else (``.npz``, the
    default) an NPZ archive.
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
    (write_safetensors if is_safetensors(path) else write_archive)(path, header, arrays)
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
    A ``.safetensors`` extension reads a safetensors file (no package needed),
    any other an NPZ archive; both pass the same checks.
    """
    return load_with_metadata(path, backend=backend)[0]


def load_with_metadata(path: str | os.PathLike, *, backend: Any = None
                       ) -> tuple[Any, dict[str, Any]]:
    """`load` and `read_metadata` from one reading of the file: (model, metadata)."""
    path = checked_path(path, "load")
    if backend is not None:
        backend = get_backend(backend, owner="load")
    header, arrays = _read(path, for_building=True)
    model = built_model(header["config"], arrays, path, "mlplab model")
    return (model if backend is None else model.to(backend)), header.get("metadata", {})


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata a model file was saved with (checked like the rest of the file)."""
    header, _ = _read(checked_path(path, "read_metadata"))
    return header.get("metadata", {})


def _read(path: Path, *, for_building: bool = False
          ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, arrays) of the model file at `path`, in the format its extension names."""
    read = read_safetensors if is_safetensors(path) else read_archive
    return read(path, FORMAT, VERSION, for_building=for_building)


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
