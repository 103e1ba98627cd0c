"""Plain data for callback configs and state: what can be written down, and how.

A config holds only None, bools, ints, floats, strings, and lists and dicts of
them (what JSON and TOML hold), so it can go into a checkpoint's header or a
config file. Tuples become lists and NumPy numbers and arrays become Python
numbers and nested lists; anything else (a user's function, a Generator, an
open stream) raises the one-template error instead of being written wrong.

State is a flat dict of NumPy arrays and numbers (what an NPZ file holds); a
list of arrays is stored as ``name_0``, ``name_1``, ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.backend import Backend, to_numpy

PLAIN = "plain data (None, a bool, number or string, or lists and dicts of them)"


def plain(name: str, owner: str, value: Any) -> Any:
    """`value` as plain data; raises for anything that cannot be written down."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.bool_ | np.integer | np.floating | np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [plain(name, owner, v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(name, owner, v) for k, v in value.items()}
    raise invalid(name, owner, f"{PLAIN} to be written into a config", value)


def arrays_state(prefix: str, arrays: Sequence[Any]) -> dict[str, np.ndarray]:
    """``{prefix_0: array 0, ...}``: host copies of `arrays` (any namespace)."""
    return {f"{prefix}_{i}": np.array(to_numpy(a)) for i, a in enumerate(arrays)}


def arrays_from_state(prefix: str, state: dict[str, Any], backend: Backend) -> list[Any]:
    """The arrays `arrays_state` stored under `prefix`, as fresh arrays of `backend`."""
    arrays = []
    while f"{prefix}_{len(arrays)}" in state:
        host = np.array(to_numpy(state[f"{prefix}_{len(arrays)}"]))  # a copy: ours to change
        arrays.append(backend.asarray(host))
    return arrays


def copy_array(xp: Any, a: Any) -> Any:
    """A copy of `a` in its own namespace `xp` (NumPy's own ``copy`` where it is NumPy)."""
    return a.copy() if isinstance(a, np.ndarray) else xp.asarray(a, copy=True)


def copy_members(backend: Backend, members: np.ndarray, targets: Sequence[Any],
                 sources: Sequence[Any]) -> None:
    """Copy the population members that `members` marks (a host boolean over the population
    axes; 0-d: the whole model or nothing) from each of `sources` into its `targets` array."""
    if not members.any():
        return
    mask = members if backend.is_numpy else backend.asarray(members)
    for target, source in zip(targets, sources, strict=True):
        target[mask] = source[mask]


def check_like(owner: str, name: str, arrays: Sequence[Any], like: Sequence[Any]) -> None:
    """Raise unless `arrays` match `like` (the run's parameters) in number and shapes."""
    shapes = [tuple(a.shape) for a in arrays]
    expected = [tuple(a.shape) for a in like]
    if shapes != expected:
        raise invalid("state", owner, f"{name} shaped like this run's arrays {expected}",
                      f"shapes {shapes}", raw=True)
