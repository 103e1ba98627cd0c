"""The user's own data: delimited text (CSV, TSV) and NumPy .npy/.npz files.

NumPy files are read with ``allow_pickle=False``: loading data never runs code.
Every problem is reported with the file, and for text the column and line.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid
from mlplab.data.dataset import Dataset

# load_array's default target: the last column of a .npy, the array "y" of a .npz.
AUTO = "auto"
_NPY_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile)


def load_csv(path: str | os.PathLike, *, target: int | str | None = -1, delimiter: str = ",",
             header: bool | None = None) -> Dataset:
    """A table of numbers from a delimited text file. X: (n_rows, n_columns - 1); y: (n_rows,).

    target: the targets' column, by name (the file needs a header) or index
    (negative counts from the end); None gives y = None and every column in X.
    header: True if the first line names the columns, False if it is data, None
    to decide: a first line in which no field is a number is a header.
    Fields may be quoted with "; blank lines are skipped; X and y are float64.
    Errors name the column and the line of the file (the header is line 1).
    """
    path = _existing_file(path, "load_csv")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise invalid("delimiter", "load_csv", "a single character such as ',' or '\\t'",
                      delimiter)
    if header is not None and not isinstance(header, bool):
        raise invalid("header", "load_csv", "True, False or None (decide from the first line)",
                      header)
    try:
        first = _first_row(path, delimiter)
        if header is None:
            header = not any(_is_number(field) for field in first)
        names = [name.strip() for name in first] if header else None
        table = _read_table(path, delimiter, header, names)
    except (csv.Error, UnicodeDecodeError) as error:  # a field past csv's limit, not UTF-8
        raise invalid("path", "load_csv", "a readable UTF-8 delimited text file",
                      f"{path.name} ({error})", raw=True) from None
    return _split_off(table, _column(target, names, table.shape[1], "load_csv"))


def load_array(path: str | os.PathLike, *, target: int | str | None = AUTO,
               features: str = "X") -> Dataset:
    """Features and targets from a NumPy file, never unpickling.

    .npy: a 2-D array of numbers; target is a column index (default "auto": the
    last column) or None (y = None, every column in X). X: (n, n_columns - 1)
    and y: (n,), both float64.
    .npz: the arrays named `features` (default "X") and `target` (default "auto":
    "y"; None for no targets). X: (n, n_features) float64; y: (n, ...) as stored.
    """
    path = _existing_file(path, "load_array")
    if path.suffix.lower() == ".npz":
        return _load_npz(path, "y" if target == AUTO else target, features)
    table = _np_load(path)
    if not isinstance(table, np.ndarray) or table.ndim != 2:
        shape = f"shape {table.shape}" if isinstance(table, np.ndarray) else "an .npz archive"
        if not isinstance(table, np.ndarray):
            table.close()
        raise invalid("path", "load_array", "a .npy file holding a 2-D array",
                      f"{shape} in {path.name}", raw=True)
    table = _numbers(table, "the array", path)
    column = _column(-1 if target == AUTO else target, None, table.shape[1], "load_array")
    return _split_off(table, column)


def _existing_file(path: Any, owner: str) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(str(invalid("path", owner, "a str or path", path)))
    if not Path(path).is_file():
        raise FileNotFoundError(str(invalid("path", owner, "an existing file", str(path))))
    return Path(path)


def _first_row(path: Path, delimiter: str) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        for fields in csv.reader(file, delimiter=delimiter):
            if fields:
                return fields
    raise invalid("path", "load_csv", "a file with rows of numbers",
                  f"{path.name}, which is empty", raw=True)


def _is_number(field: str) -> bool:
    """Whether a text field is a finite number."""
    try:
        return math.isfinite(float(field))
    except ValueError:
        return False


def _read_table(path: Path, delimiter: str, header: bool,
                names: Sequence[str] | None) -> np.ndarray:
    """The file's numbers: (n_rows, n_columns). NumPy's fast reader first; on failure
    a slower pass in Python finds the first bad field to report."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data": reported below
            table = np.loadtxt(path, delimiter=delimiter, skiprows=int(header), ndmin=2,
                               comments=None, quotechar='"', encoding="utf-8-sig",
                               dtype=np.float64)
    except ValueError as error:
        raise _first_problem(path, delimiter, names) or _not_numbers(path, error) from None
    if table.size == 0:
        raise invalid("path", "load_csv", "a file with rows of numbers",
                      f"{path.name}, which has a header and no data", raw=True)
    if not np.all(np.isfinite(table)):
        raise _first_problem(path, delimiter, names) or _not_numbers(path, "NaN or inf")
    return table


def _not_numbers(path: Path, reason: Any) -> ValueError:
    return invalid("path", "load_csv", "a table of numbers", f"{path.name} ({reason})", raw=True)


def _first_problem(path: Path, delimiter: str, names: Sequence[str] | None) -> ValueError | None:
    """The error for the first field that is not a finite number or row of the wrong width."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.reader(file, delimiter=delimiter)
        width = None if names is None else len(next(reader))
        for fields in reader:
            if not fields:
                continue
            width = width or len(fields)
            where = f"line {reader.line_num} of {path.name}"
            if len(fields) != width:
                return invalid("path", "load_csv", f"a table with {width} fields in every row",
                               f"{len(fields)} fields on {where}", raw=True)
            bad = next((j for j, field in enumerate(fields) if not _is_number(field)), None)
            if bad is not None:
                return invalid("path", "load_csv", "a table of finite numbers",
                               f"{fields[bad]!r} in column {_column_text(bad, names)} on {where}",
                               raw=True)
    return None


def _column_text(index: int, names: Sequence[str] | None) -> str:
    return f"{names[index]!r} (index {index})" if names else f"index {index}"


def _column(target: Any, names: Sequence[str] | None, width: int, owner: str) -> int | None:
    """The target's column index in a table `width` columns wide, or None for no target."""
    if target is None:
        return None
    if width < 2:
        raise invalid("target", owner, "None for a table of one column (a target column "
                      "would leave no features)", target)
    if isinstance(target, str) and names is not None and target in names:
        return list(names).index(target)
    if isinstance(target, str):
        expected = ("a column index (the file names no columns)" if names is None
                    else f"one of the columns {_some(names)}")
        raise invalid("target", owner, expected, target)
    if isinstance(target, int | np.integer) and not isinstance(target, bool) \
            and -width <= target < width:
        return int(target) % width
    raise invalid("target", owner, f"a column name, an index in [{-width}, {width}) or None",
                  target)


def _some(names: Sequence[str], limit: int = 12) -> str:
    """Names quoted and joined, the middle left out of long lists."""
    shown = [repr(n) for n in names]
    return ", ".join(shown if len(shown) <= limit else [*shown[:limit - 1], "...", shown[-1]])


def _split_off(table: np.ndarray, column: int | None) -> Dataset:
    if column is None:
        return Dataset(table, None)
    return Dataset(np.delete(table, column, axis=1), table[:, column])


def _np_load(path: Path) -> Any:
    try:
        return np.load(path, allow_pickle=False)
    except _NPY_ERRORS as error:
        raise invalid("path", "load_array", "a NumPy .npy or .npz file of numbers, saved "
                      "without pickle", f"{path.name} ({error})", raw=True) from None


def _load_npz(path: Path, target: Any, features: str) -> Dataset:
    archive = _np_load(path)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise invalid("path", "load_array", "an .npz archive, as its name says",
                      f"{path.name}, a single .npy array", raw=True)
    with archive:
        X = _numbers(_member(archive, features, "features", path), repr(features), path)
        if X.ndim != 2:
            raise invalid("features", "load_array", "the name of a 2-D array",
                          f"{features!r} of shape {X.shape}", raw=True)
        if target is None:
            return Dataset(X, None)
        y = _numbers(_member(archive, target, "target", path), repr(target), path, keep=True)
    if y.ndim == 0 or len(y) != len(X):
        raise invalid("target", "load_array", f"the name of an array of {len(X)} rows, one "
                      f"per row of {features!r}", f"{target!r} of shape {y.shape}", raw=True)
    return Dataset(X, y)


def _member(archive: Any, key: Any, name: str, path: Path) -> np.ndarray:
    if not isinstance(key, str) or key not in archive.files:
        raise invalid(name, "load_array", f"the name of an array in {path.name}: one of "
                      f"{_some(archive.files)}", key)
    try:
        return archive[key]
    except _NPY_ERRORS as error:
        raise invalid("path", "load_array", "arrays of numbers, saved without pickle",
                      f"array {key!r} in {path.name} ({error})", raw=True) from None


def _numbers(array: np.ndarray, what: str, path: Path, *, keep: bool = False) -> np.ndarray:
    """`array` checked to hold finite numbers; float64 unless `keep` (targets keep ints)."""
    if array.dtype.kind not in "biuf":
        raise invalid("path", "load_array", "arrays of numbers",
                      f"{what} of dtype {array.dtype} in {path.name}", raw=True)
    if array.size and not np.all(np.isfinite(array)):
        row = np.argwhere(~np.isfinite(array))[0]
        raise invalid("path", "load_array", "finite numbers",
                      f"{array[tuple(row)]} in {what} of {path.name} at index "
                      f"{tuple(int(i) for i in row)}", raw=True)
    return array if keep else array.astype(np.float64)
