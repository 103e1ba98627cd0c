"""Argument checks with one message template.

Every user mistake is reported as: "The 'NAME' parameter of OWNER must be
EXPECTED. Got GIVEN instead." so a message always says which argument, what
was expected and what was seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np


def _describe(value: Any) -> str:
    if callable(value) and hasattr(value, "__qualname__") and not isinstance(value, type):
        return f"the function {value.__qualname__}"  # its repr's address differs every run
    if isinstance(value, np.ndarray):
        if value.size <= 8:
            return f"array {np.array2string(value, separator=', ')}"
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Parameter(NamedTuple):
    """The parts of a one-template message, kept on the error as ``error.parameter``.

    A front end can then say the same thing in its own words: the command
    line names the flag or TOML key the user wrote instead of the library's
    parameter (see `renamed`). The error itself stays a plain ValueError.
    """

    name: str
    owner: str
    expected: str
    seen: str

    def renamed(self, what: str, owner: str) -> str:
        """The message with `what` (e.g. "'--layers' flag") in place of the parameter."""
        return f"The {what} of {owner} must be {self.expected}. Got {self.seen} instead."


def invalid(name: str, owner: str, expected: str, given: Any, *, raw: bool = False) -> ValueError:
    """A ValueError in the project's template; `raw` puts `given` in as text.

    Its parts are kept as ``error.parameter`` (a `Parameter`).
    """
    seen = given if raw else _describe(given)
    error = ValueError(f"The '{name}' parameter of {owner} must be {expected}. Got {seen} "
                       "instead.")
    error.parameter = Parameter(name, owner, expected, seen)  # type: ignore[attr-defined]
    return error


def check_choice(name: str, owner: str, value: Any, options: Iterable[str]) -> str:
    """Return `value` if it is one of `options` (strings), else raise."""
    options = sorted(options)
    if not isinstance(value, str) or value not in options:
        expected = "one of " + ", ".join(repr(o) for o in options)
        raise invalid(name, owner, expected, value)
    return value


def check_int(name: str, owner: str, value: Any, *, low: int = 0, allow_none: bool = False) -> Any:
    """Return `value` if it is an int >= low (or None when allowed), else raise."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        expected = f"an int in the range [{low}, inf)" + (" or None" if allow_none else "")
        raise invalid(name, owner, expected, value)
    return int(value)


def check_number(name: str, owner: str, value: Any, *, low: float = 0.0,
                 low_open: bool = True, high: float = np.inf) -> Any:
    """Return `value` (a float, or an array of floats for a population) if in range."""
    values = np.asarray(value) if not isinstance(value, str) else None
    if values is None or values.dtype.kind not in "iuf" or values.size == 0:
        raise invalid(name, owner, _range_text(low, low_open, high), value)
    too_low = values <= low if low_open else values < low
    if np.any(too_low) or np.any(values > high) or not np.all(np.isfinite(values)):
        raise invalid(name, owner, _range_text(low, low_open, high), value)
    return float(values) if values.ndim == 0 else values.astype(np.float64)


def _range_text(low: float, low_open: bool, high: float) -> str:
    left = "(" if low_open else "["
    right = ")" if np.isinf(high) else "]"
    return f"a float or array of floats in the range {left}{low:g}, {high:g}{right}"


def as_float_array(name: str, owner: str, value: Any, *, ndim: tuple[int, ...],
                   dtype: Any = np.float64, backend: Any = None) -> Any:
    """Convert data to a finite float array with one of the allowed `ndim`s.

    backend: a `mlplab.backend.Backend` to put the array on (None: NumPy). Data
    already on that backend is checked there, without a trip to the host;
    anything else is checked with NumPy and moved once.
    """
    if backend is not None and not backend.is_numpy and _foreign(value):
        return _on_backend(name, owner, backend.asarray(value), ndim, dtype, backend)
    if _foreign(value):
        from mlplab.backend import to_numpy  # the backend module builds on these checks

        value = to_numpy(value)
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as error:  # ragged nested lists
        raise invalid(name, owner, "a numeric array", f"data NumPy cannot read ({error})",
                      raw=True) from None
    if array.dtype.kind not in "biuf":
        raise invalid(name, owner, "a numeric array", f"dtype {array.dtype}", raw=True)
    _check_shape(name, owner, array.shape, ndim)
    array = np.asarray(array, dtype=dtype)
    if not all_finite(array):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise invalid(name, owner, "finite (no NaN or inf)",
                      f"{bad} non-finite value{'' if bad == 1 else 's'}", raw=True)
    return array if backend is None or backend.is_numpy else backend.asarray(array)


def _foreign(value: Any) -> bool:
    """Whether `value` is an array of a namespace other than NumPy's."""
    return hasattr(value, "__array_namespace__") and not isinstance(value, np.ndarray | np.generic)


def _check_shape(name: str, owner: str, shape: tuple[int, ...], ndim: tuple[int, ...]) -> None:
    if len(shape) not in ndim:
        expected = " or ".join(f"{d}-D" for d in ndim) + " array"
        raise invalid(name, owner, f"a {expected}", f"shape {shape}", raw=True)
    if 0 in shape:
        raise invalid(name, owner, "a non-empty array", f"shape {shape}", raw=True)


def _on_backend(name: str, owner: str, array: Any, ndim: tuple[int, ...], dtype: Any,
                backend: Any) -> Any:
    """The checks of `as_float_array`, done in the array's own namespace."""
    xp = backend.xp
    if not xp.isdtype(array.dtype, ("bool", "integral", "real floating")):
        raise invalid(name, owner, "a numeric array", f"dtype {array.dtype}", raw=True)
    _check_shape(name, owner, tuple(array.shape), ndim)
    array = backend.asarray(array, dtype=np.dtype(dtype).name)
    finite = xp.isfinite(array)
    if not bool(xp.all(finite)):
        bad = int(xp.sum(xp.astype(~finite, xp.int64)))
        raise invalid(name, owner, "finite (no NaN or inf)",
                      f"{bad} non-finite value{'' if bad == 1 else 's'}", raw=True)
    return array


def all_finite(array: np.ndarray) -> bool:
    """Whether every entry is finite, without a boolean copy of a large array when it is.

    A sum is finite only if no entry is NaN or infinite (inf never cancels to a
    finite value), so one reduction settles the common case; only a sum that
    is not finite (a NaN, an inf, or finite values overflowing) needs the full test.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(array, axis=None)
    return bool(np.isfinite(total)) or bool(np.isfinite(array).all())


def built_from_config(build: Any, owner: str, config: Any) -> Any:
    """``build()``, the constructor call of a `*_from_config`, with one clear error.

    A config with an option missing, unknown or of the wrong kind makes the
    constructor raise TypeError or KeyError; the caller gets the one-template
    ValueError naming the config instead.
    """
    try:
        return build()
    except (TypeError, KeyError) as error:
        raise invalid("config", owner, "a config that get_config() wrote (every option "
                      "known and given)", f"{_describe(config)} ({type(error).__name__}: "
                      f"{error})", raw=True) from None
