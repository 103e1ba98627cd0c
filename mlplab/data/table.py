"""A user's table as it comes: named columns of numbers or text, with missing values.

`read_table` reads CSV/TSV (the standard library's ``csv``), NumPy .npy/.npz
(never unpickling) and Parquet (through pyarrow, the ``parquet`` extra). Every
field is read as text first, then each column is decided on its own: a column
whose fields are all numbers or missing is numbers (float64, NaN where missing),
any other column is text (str, None where missing). Missing is an empty field
or one of `MISSING` (any case). Errors name the file, and the line and column.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid

MISSING = frozenset({"", "?", "na", "n/a", "nan", "null", "none"})
DELIMITERS = ",;\t|"
TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")


@dataclass
class Table:
    """Named columns of equal length. names: (n_columns,); columns[j]: (n_rows,).

    A number column is float64 with NaN for a missing value; a text column is an
    object array of str with None for a missing value. `source` names the file
    (or data set) in messages.
    """

    names: list[str]
    columns: list[np.ndarray]
    source: str

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def is_text(self, name: str) -> bool:
        """Whether the column `name` holds text (its dtype is object)."""
        return self.columns[self.names.index(name)].dtype == object

    def column(self, name: str) -> np.ndarray:
        return self.columns[self.names.index(name)]

    def take(self, rows: Any) -> Table:
        """The rows at the indices `rows`, in that order."""
        return Table(list(self.names), [c[rows] for c in self.columns], self.source)

    def find(self, key: Any, owner: str, name: str = "target") -> str:
        """The name of the column `key` designates: a name, or an index (negative from the end).

        An index may be an int or the text of one ("3", "-1"), as a flag gives it.
        """
        if isinstance(key, str) and key in self.names:
            return key
        index = _as_index(key)
        width = len(self.names)
        if index is not None and -width <= index < width:
            return self.names[index]
        raise invalid(name, owner, f"a column of {self.source}: a name among "
                      f"{_some(self.names)} or an index in [{-width}, {width})", key)

    @classmethod
    def from_arrays(cls, X: Any, y: Any = None, *, source: str, target: str = "target",
                    names: Sequence[str] | None = None) -> Table:
        """A table of the columns of X: (n, k) (named `names` or "0".."k-1"), then y as `target`.

        y: (n,) numbers or text, or (n, m) for m columns named target0..target{m-1}.
        """
        X = np.asarray(X)
        names = list(names) if names is not None else [str(j) for j in range(X.shape[1])]
        columns = [_as_column(X[:, j]) for j in range(X.shape[1])]
        if y is not None:
            y = np.asarray(y)
            if y.ndim == 1:
                names.append(target)
                columns.append(_as_column(y))
            else:
                names += [f"{target}{j}" for j in range(y.shape[1])]
                columns += [_as_column(y[:, j]) for j in range(y.shape[1])]
        return cls(names, columns, source)


def _as_index(key: Any) -> int | None:
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, str):
        try:
            return int(key.strip())
        except ValueError:
            return None
    return None


def _as_column(values: np.ndarray) -> np.ndarray:
    """Numbers as float64; anything else as an object array of str (None for missing)."""
    if values.dtype.kind in "biuf":
        return values.astype(np.float64)
    return np.array([None if v is None or str(v).strip().lower() in MISSING else str(v)
                     for v in values.tolist()], dtype=object)


def _some(names: Sequence[str], limit: int = 12) -> str:
    """Names quoted and joined, the middle left out of long lists."""
    shown = [repr(n) for n in names]
    return ", ".join(shown if len(shown) <= limit else [*shown[:limit - 1], "...", shown[-1]])


def read_table(path: str | os.PathLike, *, delimiter: str | None = None,
               owner: str = "read_table") -> Table:
    """The table in a file: .csv/.tsv/.txt (text), .npy/.npz (NumPy), .parquet.

    delimiter: one character for text files ("\\t" or "tab" for a tab); None picks tab
    for .tsv/.tab and otherwise sniffs the first lines (comma, semicolon, tab or bar;
    comma if unsure).
    A text file's first line is a header when none of its fields is a number;
    without a header the columns are named "0", "1", ....
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(str(invalid("data", owner, "an existing file", str(path))))
    suffix = path.suffix.lower()
    if suffix in (".npy", ".npz"):
        return _numpy_table(path, owner)
    if suffix in (".parquet", ".pq"):
        return _parquet_table(path, owner)
    if delimiter in ("\\t", "tab"):  # as a shell passes a tab
        delimiter = "\t"
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise invalid("delimiter", owner, "a single character such as ',' or '\\t'", delimiter)
    try:
        return _text_table(path, delimiter, owner)
    except (csv.Error, UnicodeDecodeError) as error:  # a field past csv's limit, not UTF-8
        raise invalid("data", owner, "a readable UTF-8 delimited text file",
                      f"{path.name} ({error})", raw=True) from None


def _text_table(path: Path, delimiter: str | None, owner: str) -> Table:
    with path.open(newline="", encoding="utf-8-sig") as file:
        delimiter = delimiter or _delimiter(path, file.read(65536))
        file.seek(0)
        reader = csv.reader(file, delimiter=delimiter)
        rows, lines = [], []
        for fields in reader:
            if fields and any(f.strip() for f in fields):
                rows.append(fields)
                lines.append(reader.line_num)
    if not rows:
        raise invalid("data", owner, "a file with rows of data", f"{path.name}, which is empty",
                      raw=True)
    header = not any(_is_number(field) for field in rows[0])
    names = _header(rows[0], path, owner) if header else [str(j) for j in range(len(rows[0]))]
    body, lines = (rows[1:], lines[1:]) if header else (rows, lines)
    if not body:
        raise invalid("data", owner, "a file with rows of data",
                      f"{path.name}, which has a header and no data", raw=True)
    for fields, line in zip(body, lines, strict=True):
        if len(fields) != len(names):
            raise invalid("data", owner, f"a table with {len(names)} fields in every row",
                          f"{len(fields)} fields on line {line} of {path.name}", raw=True)
    columns = [_parse_column([row[j] for row in body], names[j], lines, path, owner)
               for j in range(len(names))]
    return Table(names, columns, path.name)


def _delimiter(path: Path, sample: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def _header(fields: list[str], path: Path, owner: str) -> list[str]:
    names = [f.strip() or f"column{j}" for j, f in enumerate(fields)]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise invalid("data", owner, "a header that names every column once",
                      f"{_some(repeated)} more than once in {path.name}", raw=True)
    return names


def _is_number(field: str) -> bool:
    try:
        return math.isfinite(float(field))
    except ValueError:
        return False


def _parse_column(fields: list[str], name: str, lines: list[int], path: Path,
                  owner: str) -> np.ndarray:
    """Numbers (float64, NaN where missing) if every field is a number or missing, else text."""
    text = [f.strip() for f in fields]
    missing = [t.lower() in MISSING for t in text]
    try:
        values = np.array([math.nan if m else float(t) for t, m in zip(text, missing,
                                                                         strict=True)])
    except ValueError:
        return np.array([None if m else t for t, m in zip(text, missing, strict=True)],
                        dtype=object)
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        row = int(infinite[0])
        raise invalid("data", owner, "finite numbers or missing values",
                      f"{fields[row]!r} in column {name!r} on line {lines[row]} of {path.name}",
                      raw=True)
    return values


def _numpy_table(path: Path, owner: str) -> Table:
    """A .npy 2-D array (columns "0".."k-1") or an .npz's X and y (then the column "y")."""
    try:
        stored = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise invalid("data", owner, "a NumPy .npy or .npz file of numbers, saved without "
                      "pickle", f"{path.name} ({error})", raw=True) from None
    if isinstance(stored, np.ndarray):
        if stored.ndim != 2 or stored.dtype.kind not in "biuf":
            raise invalid("data", owner, "a .npy file holding a 2-D array of numbers",
                          f"shape {stored.shape} and dtype {stored.dtype} in {path.name}",
                          raw=True)
        return Table.from_arrays(stored, source=path.name)
    with stored:
        if "X" not in stored.files:
            raise invalid("data", owner, "an .npz archive with an array 'X' (and 'y')",
                          f"the arrays {_some(stored.files)} in {path.name}", raw=True)
        try:
            X = stored["X"]
            y = stored["y"] if "y" in stored.files else None
        except (ValueError, OSError, EOFError) as error:
            raise invalid("data", owner, "arrays saved without pickle",
                          f"{path.name} ({error})", raw=True) from None
    if X.ndim != 2 or X.dtype.kind not in "biuf" or (y is not None and (
            y.ndim != 1 or len(y) != len(X))):
        shapes = f"X of shape {X.shape} and dtype {X.dtype}" + (
            "" if y is None else f", y of shape {y.shape}")
        raise invalid("data", owner, "an .npz archive with a 2-D array 'X' of numbers and "
                      "'y' of one value per row of X (one target)", f"{shapes} in {path.name}",
                      raw=True)
    return Table.from_arrays(X, y, source=path.name, target="y")


def _parquet_table(path: Path, owner: str) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(f'Reading {path.name} needs pyarrow: pip install "mlplab[parquet]"'
                          ) from None
    try:
        arrow = pq.read_table(path)
    except Exception as error:  # pyarrow's own errors: a damaged or foreign file
        raise invalid("data", owner, "a readable Parquet file", f"{path.name} ({error})",
                      raw=True) from None
    names = [str(n) for n in arrow.column_names]
    columns = [_parquet_column(arrow.column(j)) for j in range(len(names))]
    return Table(names, columns, path.name)


def _parquet_column(column: Any) -> np.ndarray:
    import pyarrow as pa

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
        return np.array([math.nan if v is None else float(v) for v in column.to_pylist()])
    return _as_column(np.array(column.to_pylist(), dtype=object))
