"""Checkpoints: everything needed to continue a run bit for bit, in one NPZ (no pickle).

A checkpoint holds what a model file holds (see `mlplab.io`) plus the
optimizer's state, the state of every random stream training draws from (the
run's `mlplab.streams.RandomStreams`: the batch shuffler and each Dropout
layer's streams), the position (epochs and iterations done), the History so
far, and the state of every callback that keeps one (`Callback.get_state`:
EarlyStopping's patience and best weights, DirectionChanges' counts, the
AW-SGD sampler's learned distribution). Arrays of any backend are written as
NumPy arrays and moved back to the model's backend on resume.

`fit(..., resume_from=path)` restores all of it and carries on with the next
epoch, so an interrupted and resumed run equals an uninterrupted one.
Checkpoints are taken at epoch ends (the `Checkpoint` callback). A resumed run
must have the same stateful callbacks, in the same order, as the run that
wrote the checkpoint; otherwise it is refused. A checkpoint may also carry
``metadata``, plain data about the run (`mlplab train` records its settings
there, so ``mlplab train --resume FILE`` needs nothing else); see
`read_checkpoint_metadata`.

The optimizer state, a tree of NamedTuples, tuples and lists, is stored as
its leaves in traversal order; loading pours them back into the tree that a
fresh ``optimizer.init(params)`` builds, so no class is ever looked up by a
name read from the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from mlplab.backend import to_numpy
from mlplab.io import ModelFileError, checked_path
from mlplab.io.archive import named_arrays, read_archive, write_archive

FORMAT, VERSION = "mlplab-checkpoint", 1
# The arrays a checkpoint holds beside the model's: optimizer leaves, history, callback state.
EXTRA_ARRAYS = re.compile(r"optimizer_\d{1,9}|history_.+|callback_\d{1,9}_.+")


def save_checkpoint(path: str | os.PathLike, state: Any, *,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write the run in `state` (a TrainingState at an epoch end) to `path`, atomically.

    metadata: plain data (JSON) stored beside the run, read back by
    `read_checkpoint_metadata`.
    """
    path = Path(path)
    arrays = named_arrays(state.model)
    leaves = _leaves(state.optimizer_state)
    arrays.update({f"optimizer_{i}": leaf for i, leaf in enumerate(leaves)})
    arrays.update({f"history_{name}": state.history[name] for name in state.history.history})
    stateful = state.stateful_callbacks
    for i, callback in enumerate(stateful):
        arrays.update({f"callback_{i}_{key}": np.asarray(to_numpy(value))
                       for key, value in callback.get_state().items()})
    header = {"format": FORMAT, "version": VERSION, "config": state.model.get_config(),
              "epoch": state.epoch, "iteration": state.iteration,
              "history": list(state.history.history),
              "random_streams": state.random_streams.state(),
              "callbacks": [type(c).__name__ for c in stateful],
              "optimizer": state.optimizer_config, "stop_training": state.stop_training}
    if metadata is not None:
        header["metadata"] = metadata
    write_archive(path, header, arrays)
    return path


def read_checkpoint_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata a checkpoint was written with ({} if none), the whole file checked."""
    path = checked_path(path, "read_checkpoint_metadata")
    header, _ = read_archive(path, FORMAT, VERSION, extra_arrays=EXTRA_ARRAYS)
    return header.get("metadata", {})


def resume(path: str | os.PathLike, state: Any, optimizer: Any) -> None:
    """Restore a checkpoint into a freshly set-up run: weights, optimizer, streams, position.

    The file (see `mlplab.io.archive.read_archive`), its fields and its optimizer state
    are checked against this run before anything is restored; a random stream
    or callback state that this run's objects refuse while restoring ends the
    resume there, with the same ModelFileError.
    """
    path = checked_path(path, "fit", "resume_from")
    header, arrays = read_archive(path, FORMAT, VERSION, extra_arrays=EXTRA_ARRAYS)
    _check_fields(header, arrays, path)
    _check_same_run(header, state, path)
    template = optimizer.init(state.params)
    optimizer_leaves = _checked_optimizer_leaves(arrays, _leaves(template), path)
    stateful = state.stateful_callbacks
    try:
        state.model.set_weights([arrays[f"param_{i}"] for i in range(len(state.params))])
        state.model.set_buffers([arrays[f"buffer_{i}"] for i in range(len(state.model.buffers))])
        state.random_streams.set_state(header["random_streams"])
        for i, callback in enumerate(stateful):
            prefix = f"callback_{i}_"
            callback.set_state({key[len(prefix):]: value for key, value in arrays.items()
                                if key.startswith(prefix)})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
        raise ModelFileError(f"{path} is not a readable mlplab checkpoint file: this run "
                             f"cannot take its state: {error}") from None
    state.optimizer_state = _rebuild(template, iter(optimizer_leaves), state.params.backend)
    for name in header["history"]:
        state.history.column(name).extend(arrays[f"history_{name}"])
    state.epoch, state.iteration = header["epoch"] + 1, header["iteration"]
    state.stop_training = header.get("stop_training", False) is True  # the run had ended


def _check_fields(header: dict[str, Any], arrays: dict[str, np.ndarray], path: Any) -> None:
    """The checkpoint's own header fields have the kinds `save_checkpoint` writes."""
    def count(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    names = header.get("history")
    problems = {
        "epoch": count(header.get("epoch")),
        "iteration": count(header.get("iteration")),
        "history": isinstance(names, list) and all(
            isinstance(n, str) and f"history_{n}" in arrays and arrays[f"history_{n}"].ndim
            for n in names) and len(set(names)) == len(names),
        "random_streams": isinstance(header.get("random_streams"), dict) and all(
            isinstance(v, dict) for v in header["random_streams"].values()),
        "callbacks": isinstance(header.get("callbacks", []), list) and all(
            isinstance(c, str) for c in header.get("callbacks", [])),
        "optimizer": header.get("optimizer") is None or isinstance(header["optimizer"], dict),
        "stop_training": isinstance(header.get("stop_training", False), bool),
    }
    bad = [name for name, good in problems.items() if not good]
    if bad:
        raise ModelFileError(f"{path} is not a readable mlplab checkpoint file: its header's "
                             f"{bad[0]!r} is not what a checkpoint writes there")


def _check_same_run(header: dict[str, Any], state: Any, path: Any) -> None:
    """The checkpoint was written by a run like this one: architecture, streams, callbacks."""
    if _architecture(header["config"]) != _architecture(state.model.get_config()):
        raise ModelFileError(f"{path} is a checkpoint of another architecture: "
                             f"{header['config']} (this model: {state.model.get_config()})")
    streams = state.random_streams
    if set(header["random_streams"]) != set(streams.generators()):
        raise ModelFileError(f"{path} holds random streams {sorted(header['random_streams'])}"
                             f"; this run has {sorted(streams.generators())}")
    saved, ours = header.get("optimizer"), state.optimizer_config
    if saved is not None and ours is not None and saved != ours:
        raise ModelFileError(f"{path} is a checkpoint of a run with the optimizer {saved}; "
                             f"this run's is {ours}. Resume with the same optimizer.")
    stateful = state.stateful_callbacks
    if header.get("callbacks", []) != [type(c).__name__ for c in stateful]:
        raise ModelFileError(f"{path} was written by a run with the callbacks "
                             f"{header.get('callbacks', [])} keeping state; this run has "
                             f"{[type(c).__name__ for c in stateful]}")


def _checked_optimizer_leaves(arrays: dict[str, np.ndarray], template: list[np.ndarray],
                              path: Any) -> list[np.ndarray]:
    """The saved optimizer leaves, as many as this run's optimizer has and shaped alike."""
    saved = sorted(((int(k.removeprefix("optimizer_")), a) for k, a in arrays.items()
                    if k.startswith("optimizer_")), key=lambda pair: pair[0])
    if [i for i, _ in saved] != list(range(len(template))) or any(
            a.shape != t.shape for (_, a), t in zip(saved, template, strict=True)):
        raise ModelFileError(f"{path} holds an optimizer state of {len(saved)} arrays that "
                             f"does not fit this run's optimizer ({len(template)} arrays)")
    return [a for _, a in saved]


def _architecture(config: dict[str, Any]) -> dict[str, Any]:
    """A model config without its seeds: weights and streams come from the checkpoint."""
    layers = [{k: v for k, v in layer.items() if k != "seed"} for layer in config.get("layers", [])]
    return {**{k: v for k, v in config.items() if k != "seed"}, "layers": layers}


def _leaves(tree: Any) -> list[np.ndarray]:
    """The arrays and numbers of a state tree, depth first, as NumPy arrays."""
    if isinstance(tree, tuple | list):
        return [leaf for child in tree for leaf in _leaves(child)]
    if tree is None:
        return []
    return [np.asarray(to_numpy(tree))]


def _rebuild(template: Any, leaves: Any, backend: Any) -> Any:
    """`template`'s tree with its leaves replaced, in order, by the saved ones."""
    if isinstance(template, tuple) and hasattr(template, "_fields"):  # a NamedTuple
        return type(template)(*(_rebuild(child, leaves, backend) for child in template))
    if isinstance(template, tuple | list):
        return type(template)(_rebuild(child, leaves, backend) for child in template)
    if template is None:
        return None
    saved = next(leaves)
    if isinstance(template, int | float | bool | np.generic):
        return type(template)(saved.item() if saved.ndim == 0 else saved)
    copy = np.array(saved, dtype=to_numpy(template).dtype)  # a fresh array, never the file's
    return copy if backend.is_numpy else backend.asarray(copy)
