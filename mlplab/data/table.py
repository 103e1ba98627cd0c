"""A user's table as it comes: named columns of numbers or text, with missing values.

`read_table` reads CSV/TSV (the standard library's ``csv``), NumPy .npy/.npz
(never unpickling) and Parquet (through pyarrow, the ``parquet`` extra). Every
field is read as text first, then each column is decided on its own: a column
whose fields are all numbers or missing is numbers (float64, NaN where missing),
any other column is text (str, None where missing). Missing is an empty field
or one of `MISSING` (any case). Errors name the file, and the line and column.

Two kinds of column are not left to that rule, because reading them as text
would quietly one-hot encode numbers:

- numbers with a comma in them ("3,14" from a semicolon-separated file with
  decimal commas, "1,000" with a thousands separator) are refused: which
  number a comma means is the user's to say, not ours to guess;
- a column of numbers with a few fields that are not (a typo, a marker such as
  "unknown": at most `STRAY_TEXT` of its fields) is numbers, those fields read
  as missing; `Table.notes` says which, and where.

NumPy files are read only after their headers were checked against the file's
size, so a file that declares a huge array cannot make mlplab allocate it.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlplab._checks import invalid

MISSING = frozenset({"", "?", "na", "n/a", "nan", "null", "none"})
DELIMITERS = ",;\t|"
SAMPLE_CHARS, SNIFF_ROWS = 65536, 50  # what the delimiter is guessed from
TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
STRAY_TEXT = 0.05  # the most of a number column's fields that may be text (read as missing)
COMMA_NUMBER = re.compile(r"[+-]?(\d+(,\d+)+(\.\d*)?|\d*,\d+)([eE][+-]?\d+)?")
NPY_PREAMBLE = 4096  # the most an .npy header may take before its data
DEFLATE_RATIO = 1032  # deflate's most: bytes out per compressed byte


@dataclass
class Table:
    """Named columns of equal length. names: (n_columns,); columns[j]: (n_rows,).

    A number column is float64 with NaN for a missing value; a text column is an
    object array of str with None for a missing value. `source` names the file
    (or data set) in messages; `notes` says what reading did that a person
    should know (fields of a number column read as missing); `lines`, for a
    text file, the line of the file where each row ends (rows are not lines
    once a quoted field has spanned several).
    """

    names: list[str]
    columns: list[np.ndarray]
    source: str
    notes: list[str] = field(default_factory=list)
    lines: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def is_text(self, name: str) -> bool:
        """Whether the column `name` holds text (its dtype is object)."""
        return self.column(name).dtype == object

    def column(self, name: str) -> np.ndarray:
        """The column named `name`; refused, naming the columns there are, if there is none."""
        try:
            return self.columns[self.names.index(name)]
        except ValueError:
            raise invalid("data", "Table.column", f"a table with a column {name!r}",
                          f"{self.source} with the columns {_some(self.names)}",
                          raw=True) from None

    def take(self, rows: Any) -> Table:
        """The rows at the indices `rows`, in that order."""
        return Table(list(self.names), [c[rows] for c in self.columns], self.source,
                     list(self.notes), None if self.lines is None else self.lines[rows])

    def where(self, row: int) -> str:
        """Where row `row` (0-based) is, for a message: "line 7 of data.csv", or "row 3 of
        data.npy" for a file without lines (and a built-in data set)."""
        if self.lines is not None:
            return f"line {int(self.lines[row])} of {self.source}"
        return f"row {row + 1} of {self.source}"

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
    for .tsv/.tab and otherwise guesses from the first rows (comma, semicolon, tab or bar:
    the one that splits them evenly into the most fields; comma if none does).
    A text file's first line is a header when none of its fields is a number, or when one
    of them is text above a column of numbers ("x,2020,label" over "1.5,3,yes");
    without a header the columns are named "0", "1", ....
    """
    path = Path(path)
    _check_readable(path, owner)
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
    except UnicodeDecodeError as error:  # Latin-1, UTF-16, or not text at all
        raise invalid("data", owner, "a UTF-8 text file (save it as UTF-8 or CSV UTF-8)",
                      f"{path.name}, which holds the byte {error.object[error.start]:#04x}, "
                      "not UTF-8 (Latin-1? a binary file?)", raw=True) from None
    except OSError as error:
        raise _os_error(error, path, owner) from None


def _check_readable(path: Path, owner: str) -> None:
    """Refuse a missing file, a folder, or a file that cannot be opened, naming the path."""
    if path.is_dir():
        raise _file_error(IsADirectoryError, "a file, not a folder", repr(str(path)), owner)
    if not path.is_file():
        raise _file_error(FileNotFoundError, "an existing file", repr(str(path)), owner)
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise _os_error(error, path, owner) from None


def _os_error(error: OSError, path: Path, owner: str) -> OSError:
    """The operating system's error, of its type, in the one-template words."""
    why = (error.strerror or str(error)).lower()
    return _file_error(type(error), "a file mlplab may read", f"{str(path)!r} ({why})", owner)


def _file_error(kind: type[OSError], expected: str, given: str, owner: str) -> OSError:
    """An OSError of `kind` about the data file, worded (and with the parts kept, as
    ``error.parameter``) like `invalid`'s, so the command line names the argument."""
    template = invalid("data", owner, expected, given, raw=True)
    error = kind(str(template))
    error.parameter = template.parameter  # type: ignore[attr-defined]
    return error


def _text_table(path: Path, delimiter: str | None, owner: str) -> Table:
    with path.open(newline="", encoding="utf-8-sig") as file:
        sample = file.read(SAMPLE_CHARS)
        if "\x00" in sample:
            raise invalid("data", owner, "a UTF-8 text file (save it as UTF-8 or CSV UTF-8)",
                          f"{path.name}, which holds NUL bytes (UTF-16? a binary file?)",
                          raw=True)
        delimiter = delimiter or _delimiter(path, sample)
        file.seek(0)
        reader = csv.reader(file, delimiter=delimiter)
        rows, lines = [], []
        try:
            for fields in reader:
                if fields and any(f.strip() for f in fields):
                    rows.append(fields)
                    lines.append(reader.line_num)
        except csv.Error as error:  # a field past csv's limit
            raise invalid("data", owner, f"a delimited text file with fields of at most "
                          f"{csv.field_size_limit()} characters",
                          f"{error} on line {reader.line_num} of {path.name}",
                          raw=True) from None
    if not rows:
        raise invalid("data", owner, "a file with rows of data", f"{path.name}, which is empty",
                      raw=True)
    header = _has_header(rows)
    names = _header(rows[0], path, owner) if header else [str(j) for j in range(len(rows[0]))]
    body, lines = (rows[1:], lines[1:]) if header else (rows, lines)
    if not body:
        raise invalid("data", owner, "a file with rows of data",
                      f"{path.name}, which has a header and no data", raw=True)
    for fields, line in zip(body, lines, strict=True):
        if len(fields) != len(names):
            raise invalid("data", owner, f"a table with {len(names)} fields in every row",
                          f"{len(fields)} fields on line {line} of {path.name}", raw=True)
    table = Table(names, [], path.name, lines=np.array(lines, dtype=np.int64))
    table.columns = [_parse_column([row[j] for row in body], names[j], lines, path, owner,
                                   table.notes) for j in range(len(names))]
    return table


def _delimiter(path: Path, sample: str) -> str:
    """Tab for .tsv/.tab; else the one of DELIMITERS that splits the sample's first
    SNIFF_ROWS rows into the same number of fields, more than one, the most fields winning
    (comma first on a tie); comma when none does (the row-length check then names the line).

    Not `csv.Sniffer`: its regular expressions take seconds to minutes on some 64 KiB
    samples (many quotes), and reading a few rows with each delimiter is linear.
    """
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    best, most = ",", 1
    for candidate in DELIMITERS:
        try:
            rows = [r for r in itertools.islice(csv.reader(io.StringIO(sample),
                                                           delimiter=candidate),
                                                SNIFF_ROWS + 1) if r]
        except csv.Error:
            continue
        if len(sample) >= SAMPLE_CHARS and len(rows) > 1:
            rows.pop()  # it may be cut short by the sample's end
        widths = {len(r) for r in rows[:SNIFF_ROWS]}
        if len(widths) == 1 and widths.pop() > most:
            best, most = candidate, len(rows[0])
    return best


def _has_header(rows: list[list[str]], look: int = 20) -> bool:
    """Whether the first row names the columns: none of its fields is a number, or one is
    text above a column whose next `look` rows are numbers (a header such as "x,2020,y")."""
    first, below = rows[0], rows[1:1 + look]
    if not any(_is_number(field) for field in first):
        return True

    def numbers_below(j: int) -> bool:
        fields = [row[j].strip() for row in below if j < len(row)]
        return any(_is_number(f) for f in fields) and all(
            _is_number(f) or f.lower() in MISSING for f in fields)

    return any(not _is_number(field) and field.strip().lower() not in MISSING
               and numbers_below(j) for j, field in enumerate(first))


def _header(fields: list[str], path: Path, owner: str) -> list[str]:
    names = [f.strip() or f"column{j}" for j, f in enumerate(fields)]
    repeated = sorted(n for n, count in Counter(names).items() if count > 1)
    if repeated:
        raise invalid("data", owner, "a header that names every column once",
                      f"{_some(repeated)} more than once in {path.name}", raw=True)
    return names


def _is_number(field: str) -> bool:
    try:
        return math.isfinite(float(field))
    except ValueError:
        return False


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _parse_column(fields: list[str], name: str, lines: list[int], path: Path,
                  owner: str, notes: list[str]) -> np.ndarray:
    """Numbers (float64, NaN where missing) if the fields are numbers or missing, but for at
    most STRAY_TEXT of them (then read as missing, said in `notes`); else text."""
    text = [f.strip() for f in fields]
    missing = [t.lower() in MISSING for t in text]
    numbers = [math.nan if m else _number(t) for t, m in zip(text, missing, strict=True)]
    stray = [i for i, v in enumerate(numbers) if v is None]
    where = f"in column {name!r} on line {{}} of {path.name}"
    commas = [i for i in stray if COMMA_NUMBER.fullmatch(text[i])]
    if commas and len(commas) == len(stray):
        i = commas[0]
        raise invalid("data", owner, "numbers with a decimal point and no thousands "
                      "separator (convert decimal commas first: '1,000' may be one or a "
                      "thousand)",
                      f"{fields[i]!r} {where.format(lines[i])}", raw=True)
    if len(stray) > STRAY_TEXT * (len(text) - sum(missing)):
        return np.array([None if m else t for t, m in zip(text, missing, strict=True)],
                        dtype=object)
    values = np.array([math.nan if v is None else v for v in numbers], dtype=np.float64)
    infinite = np.flatnonzero(np.isinf(values))
    if infinite.size:
        row = int(infinite[0])
        raise invalid("data", owner, "finite numbers or missing values",
                      f"{fields[row]!r} {where.format(lines[row])}", raw=True)
    if stray:
        notes.append(f"{name!r}: {len(stray)} of {len(text)} fields not numbers, read as "
                     f"missing (first {fields[stray[0]].strip()!r} on line {lines[stray[0]]})")
    return values


def _numpy_table(path: Path, owner: str) -> Table:
    """A .npy 2-D array (columns "0".."k-1") or an .npz's X and y (then the column "y")."""
    _check_numpy_sizes(path, owner)
    try:
        stored = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
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
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
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


def _check_numpy_sizes(path: Path, owner: str) -> None:
    """Refuse, before NumPy allocates anything, an array whose header declares more bytes than
    the file holds (or, in an .npz, than its compressed member can inflate to), an object
    array (only pickle reads those), and an .npz member that is not an .npy array."""
    def refuse(problem: str) -> ValueError:
        return invalid("data", owner, "a NumPy .npy or .npz file of numbers, saved without "
                       "pickle", f"{path.name}, {problem}", raw=True)

    if path.suffix.lower() == ".npy":
        with path.open("rb") as file:
            _check_npy_header(file, path.stat().st_size, "array", refuse)
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if name.removesuffix(".npy") not in ("X", "y"):
                    continue
                if not name.endswith(".npy"):
                    raise refuse(f"whose member {name!r} is not an .npy array")
                room = min(info.file_size, DEFLATE_RATIO * info.compress_size + NPY_PREAMBLE)
                with archive.open(info) as member:
                    _check_npy_header(member, room, f"array {name!r}", refuse)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            EOFError) as error:
        raise refuse(f"which is not a readable zip archive ({error})") from None


def _check_npy_header(file: Any, room: int, what: str, refuse: Any) -> None:
    """An .npy header at the start of `file` declaring at most `room` bytes in all."""
    try:
        major, _ = np.lib.format.read_magic(file)
        read = (np.lib.format.read_array_header_1_0 if major == 1 else
                np.lib.format.read_array_header_2_0)
        shape, _, dtype = read(file, max_header_size=NPY_PREAMBLE)
    except (ValueError, SyntaxError, TypeError, OverflowError, EOFError) as error:
        raise refuse(f"whose {what} has no .npy header ({error})") from None
    if dtype.hasobject:
        raise refuse(f"whose {what} holds Python objects, which only pickle could read; mlplab "
                     "reads with allow_pickle=False")
    need = math.prod(shape) * dtype.itemsize
    if need > room:
        raise refuse(f"whose {what} declares shape {shape} of {dtype}, {need} bytes, in a file "
                     f"that holds at most {room}")


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
