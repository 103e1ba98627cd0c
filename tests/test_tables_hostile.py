"""The table path under hostile and clumsy input: each case ends in correct behaviour or in
one error line (exit status 2) that names the file, flag, column or line, what was expected
and what was given; never a traceback, a hang, a blown-up memory or a silently wrong model.

Every case is a row: the file's text (or bytes), the command's flags, and what must show.
"""

import csv
import io
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from table_files import write_rows

from mlplab import MLP, job, save
from mlplab.cli import main
from mlplab.data import Standardizer
from mlplab.data.table import Table, read_table
from mlplab.preprocessing import MAX_CATEGORIES, TablePreprocessor, detect_task

QUICK = ["--epochs", "3", "--layers", "8", "--no-progress"]


def labelled(n, label=lambda i: "x" if i % 2 else "y", header="a,b,label"):
    """n rows of two number columns and a label."""
    return header + "\n" + "".join(f"{i % 7},{(i * 3) % 5},{label(i)}\n" for i in range(n))


def typo_file():
    rng = np.random.default_rng(0)
    rows = [f"{'12.O' if i == 500 else f'{rng.normal():.4f}'},{rng.normal():.3f},"
            f"{'x' if i % 2 else 'y'}" for i in range(1000)]
    return "a,b,label\n" + "\n".join(rows) + "\n"


BASE = labelled(40)
OK, ERROR = "ok", "error"

# name: (file name, contents, flags after the file, outcome, what stdout / stderr must hold)
TRAIN_CASES = {
    "empty file": ("t.csv", "", [], ERROR, "Got t.csv, which is empty"),
    "header only": ("t.csv", "a,b,label\n", [], ERROR, "has a header and no data"),
    "a single data row": ("t.csv", "a,b,label\n1,2,x\n", [], ERROR,
                          "at least two distinct values to learn. Got 'label' with 'x' in all 1"),
    "two rows of different classes": ("t.csv", "a,b,label\n1,2,x\n3,4,y\n", [], ERROR,
                                      "Got 'label' with 2 distinct labels in 2 rows (at most 1)"),
    "a row with too many fields": ("t.csv", "a,b,label\n1,2,x\n3,4,y,5\n", [], ERROR,
                                   "3 fields in every row. Got 4 fields on line 3 of t.csv"),
    "a row with too few fields": ("t.csv", "a,b,label\n1,2,x\n\n3,4\n", [], ERROR,
                                  "Got 2 fields on line 4 of t.csv"),
    "a UTF-8 BOM": ("t.csv", "\ufeff" + BASE, ["--drop", "a"], OK, "'a': dropped (--drop)"),
    "Latin-1 bytes": ("t.csv", ("caf\u00e9," + BASE).encode("latin-1"), [], ERROR,
                      "UTF-8 text file (save it as UTF-8 or CSV UTF-8). Got t.csv, which holds "
                      "the byte 0xe9"),
    "UTF-16": ("t.csv", BASE.encode("utf-16"), [], ERROR, "Got t.csv, which holds the byte "),
    "NUL bytes": ("t.csv", BASE.replace("1,", "1\x00,", 1), [], ERROR, "holds NUL bytes"),
    "CRLF line ends": ("t.csv", BASE.replace("\n", "\r\n"), [], OK, "2 number columns"),
    "CR-only line ends": ("t.csv", BASE.replace("\n", "\r"), [], OK, "2 number columns"),
    "quoted delimiters and line breaks": (
        "t.csv", "a,note,label\n" + "".join(f'{i},"hi, there\nline{i % 3}",{"xy"[i % 2]}\n'
                                            for i in range(40)), [], OK,
        "'note': text, one-hot encoded into 3 columns ('hi, there\\nline0', "),
    "semicolons and decimal commas": (
        "t.csv", "a;b;label\n" + "".join(f"{i},5;{i % 3},25;{'xy'[i % 2]}\n" for i in range(40)),
        [], ERROR, "decimal point and no thousands separator (convert decimal commas first: "
        "'1,000' may be one or a thousand). Got '0,5' in column 'a' on line 2 of t.csv"),
    "thousands separators": (
        "t.csv", "a,b,label\n" + "".join(f'"{i},000",{i % 3},{"xy"[i % 2]}\n' for i in range(40)),
        [], ERROR, "Got '0,000' in column 'a' on line 2"),
    "a column named twice": ("t.csv", BASE.replace("a,b,", "a,a,", 1), [], ERROR,
                             "names every column once. Got 'a' more than once in t.csv"),
    "a header with a number in it": ("t.csv", BASE.replace("a,b,", "a,2020,", 1),
                                     ["--drop", "2020"], OK, "'2020': dropped (--drop)"),
    "an empty column name": ("t.csv", BASE.replace("a,b,", "a,,", 1), ["--drop", "column1"], OK,
                             "'column1': dropped (--drop)"),
    "unicode column names": ("t.csv", BASE.replace("a,b,label", "温度,größe,étiquette", 1),
                             ["--target", "étiquette", "--drop", "温度"], OK,
                             "'温度': dropped (--drop), not used"),
    "a column all empty": ("t.csv", BASE.replace("a,b,label", "a,b,e,label").replace(
        ",x\n", ",,x\n").replace(",y\n", ",,y\n"), [], OK, "'e': empty, not used"),
    "a target with gaps": ("t.csv", labelled(40, lambda i: "" if i % 5 == 0 else "xy"[i % 2]),
                           [], OK, "8 rows without a target left out"),
    "a target of one class": ("t.csv", labelled(40, lambda i: "x"), [], ERROR,
                              "Got 'label' with 'x' in all 40 labelled rows"),
    "a target all NaN": ("t.csv", labelled(40, lambda i: "nan"), [], ERROR,
                         "'--target' flag of mlplab train must be a column with values to learn. "
                         "Got 'label', which is missing in all 40 rows"),
    "a target of one label per row": ("t.csv", labelled(40, lambda i: f"n{i}"), [], ERROR,
                                      "not an ID or free text). Got 'label' with 40 distinct"),
    "--target by a negative index": ("t.csv", BASE, ["--target", "-3", "--drop", "label"], OK,
                                     "target: 'a'"),
    "--target out of range": ("t.csv", BASE, ["--target", "-4"], ERROR,
                              "a name among 'a', 'b', 'label' or an index in [-3, 3). Got '-4'"),
    "--target past the end": ("t.csv", BASE, ["--target", "3"], ERROR, "[-3, 3). Got '3'"),
    "--drop of a missing column": ("t.csv", BASE, ["--drop", "nope"], ERROR,
                                   "'--drop' flag of mlplab train must be a column of t.csv"),
    "--drop of the target": ("t.csv", BASE, ["--drop", "label"], ERROR,
                             "'--drop' flag of mlplab train must be columns other than the target"),
    "1e309 (inf)": ("t.csv", BASE.replace("0,0,y", "1e309,0,y", 1), [], ERROR,
                    "finite numbers or missing values. Got '1e309' in column 'a' on line 2"),
    "-inf": ("t.csv", BASE.replace("0,0,y", "0,-inf,y", 1), [], ERROR,
             "Got '-inf' in column 'b' on line 2"),
    "nan as a value": ("t.csv", BASE.replace("0,0,y", "nan,0,y", 1), [], OK,
                       "'a': 1 missing filled with the median"),
    "numbers padded with spaces": ("t.csv", BASE.replace(",", " , "), [], OK,
                                   "2 number columns standardized"),
    "true/false and yes/no": (
        "t.csv", "a,flag,label\n" + "".join(f"{i},{'true' if i % 3 else 'false'},"
                                            f"{'yes' if i % 2 else 'no'}\n" for i in range(40)),
        [], OK, "classification (2 classes: no, yes)"),
    "one typo among 1000 numbers": ("t.csv", typo_file(), ["--epochs", "1"], OK,
                                    "read: 'a': 1 of 1000 fields not numbers, read as missing "
                                    "(first '12.O' on line 502)"),
    "a field over csv's limit": ("t.csv", "a,b,label\n1,2,x\n3,\"" + "z" * 200_000 + "\",y\n",
                                 [], ERROR, "(131072) on line 3 of t.csv"),
    "a binary file named .csv": ("t.csv", bytes(range(256)) * 20, [], ERROR, "not UTF-8"),
    "--test-split 0": ("t.csv", BASE, ["--test-split", "0"], ERROR,
                       "'--test-split' flag of mlplab train must be a fraction in (0, 1)"),
    "--test-split 1": ("t.csv", BASE, ["--test-split", "1"], ERROR, "Got 1.0 instead"),
    "--test-split negative": ("t.csv", BASE, ["--test-split", "-0.2"], ERROR, "Got -0.2"),
    "--test-split 0.999 of 10 rows": ("t.csv", labelled(10), ["--test-split", "0.999"], ERROR,
                                      "leaves at least 2 of the 10 rows to train on. Got 0.999"),
    "--test-split taking a class away": (
        "t.csv", labelled(40, lambda i: "z" if i == 0 else "xy"[i % 2]), ["--test-split", "0.9"],
        ERROR, "leaves rows of every class to train on. Got 0.9, which holds out every row of "
        "the classes 'z'"),
    "--task regression on text": ("t.csv", BASE, ["--task", "regression"], ERROR,
                                  "'--task' flag of mlplab train must be 'classification' or "
                                  "'auto' for the text labels of 'label'"),
    "--task classification on floats": (
        "t.csv", labelled(40, lambda i: f"{i * 0.37:.2f}"), ["--task", "classification"], ERROR,
        "'--task' flag of mlplab train must be 'regression' or 'auto' for 'label' with 40 "
        "distinct labels in 40 rows (at most 20)"),
}


def run(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(path, contents):
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    else:
        path.write_text(contents, encoding="utf-8", newline="")
    return path


def one_error_line(code, err, command="train"):
    """Exit status 2 and exactly one line on stderr, in the command's words."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mlplab {command}: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("case", list(TRAIN_CASES))
def test_train_on_a_hostile_file(case, tmp_path, capsys):
    name, contents, flags, outcome, shown = TRAIN_CASES[case]
    path = write(tmp_path / name, contents)
    target = [] if "--target" in flags else ["--target", "label"]
    code, out, err = run(capsys, "train", path, *target, *QUICK, *flags)
    if outcome == ERROR:
        assert shown in one_error_line(code, err)
    else:
        assert code == 0, err
        assert shown in out


def test_line_ends_and_a_bom_read_as_plain_lines(tmp_path):
    plain = read_table(write(tmp_path / "lf.csv", BASE))
    for i, text in enumerate([BASE.replace("\n", "\r\n"), BASE.replace("\n", "\r"),
                              "\ufeff" + BASE]):
        table = read_table(write(tmp_path / f"{i}.csv", text))
        assert table.names == plain.names
        for a, b in zip(table.columns, plain.columns, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_delimiter_is_guessed_in_linear_time(tmp_path):
    # csv.Sniffer's regular expressions took about 10 s on this 64 KiB of quotes
    quotes = "a b c\n" + "".join('"' + ' "'.join(["x"] * 30) + "\n" for _ in range(2000))
    started = time.perf_counter()
    assert read_table(write(tmp_path / "q.csv", quotes)).names == ["a b c"]
    assert time.perf_counter() - started < 1
    semicolons = "a;b;label\n" + "".join(f"{i};{i % 3}.5;{'xy'[i % 2]}\n" for i in range(40))
    assert read_table(write(tmp_path / "s.csv", semicolons)).names == ["a", "b", "label"]


def test_a_column_with_a_few_stray_texts_is_numbers_and_says_so(tmp_path):
    table = read_table(write(tmp_path / "t.csv", typo_file()))
    a = table.column("a")
    assert a.dtype == np.float64 and np.isnan(a[500]) and np.isfinite(np.delete(a, 500)).all()
    assert table.notes == ["'a': 1 of 1000 fields not numbers, read as missing (first '12.O' "
                           "on line 502)"]
    # More than STRAY_TEXT of them: a text column, as before
    mixed = "a,b\n" + "".join(f"{'u' if i % 4 == 0 else i},{i}\n" for i in range(40))
    assert read_table(write(tmp_path / "m.csv", mixed)).is_text("a")


def test_folders_missing_and_unreadable_files_name_the_path(tmp_path, capsys, monkeypatch):
    with pytest.raises(IsADirectoryError, match=r"'data' parameter of read_table must be a "
                       r"file, not a folder"):
        read_table(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"must be an existing file. Got '.*nope.csv'"):
        read_table(tmp_path / "nope.csv")
    locked = write(tmp_path / "locked.csv", BASE)
    real_open = Path.open

    def refusing(self, *args, **kwargs):  # as chmod 000 does, but also when run as root
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    with pytest.raises(PermissionError, match=r"must be a file mlplab may read. Got "
                       r"'.*locked.csv' \(permission denied\)"):
        read_table(locked)
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    for path, shown in [(folder, "a file, not a folder"), (tmp_path / "nope.csv",
                                                             "an existing file"),
                        (locked, "(permission denied)")]:
        code, _, err = run(capsys, "train", path, "--target", "label")
        line = one_error_line(code, err)
        assert line.startswith("mlplab train: error: The 'DATA' argument") and shown in line


class _Boom:
    """Unpickling this would create a folder: reading must never get that far."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def _npy_header_only(shape):
    """An .npy file whose header declares `shape` of float64 but that holds 64 bytes."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, {"descr": "<f8", "fortran_order": False,
                                               "shape": shape})
    return out.getvalue() + b"\0" * 64


def _numpy_files(tmp_path):
    marker = tmp_path / "unpickled"
    with (tmp_path / "pickled.npy").open("wb") as file:
        np.save(file, np.array([_Boom(marker)], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "pickled.npz", X=np.array([[_Boom(marker)]], dtype=object),
             allow_pickle=True)
    np.savez(tmp_path / "y2d.npz", X=np.ones((10, 2)), y=np.ones((10, 2)))
    np.save(tmp_path / "flat.npy", np.arange(10.0))
    (tmp_path / "huge.npy").write_bytes(_npy_header_only((10 ** 11, 2)))
    with zipfile.ZipFile(tmp_path / "huge.npz", "w") as archive:
        archive.writestr("X.npy", _npy_header_only((10 ** 11, 2)))
    with zipfile.ZipFile(tmp_path / "raw.npz", "w") as archive:
        archive.writestr("X", b"not an array")
    (tmp_path / "notzip.npz").write_bytes(b"PK\x03\x04" + b"garbage" * 10)
    (tmp_path / "text.npy").write_bytes(BASE.encode())
    return marker


NUMPY_CASES = {
    "pickled.npy": "whose array holds Python objects, which only pickle could read",
    "pickled.npz": "whose array 'X.npy' holds Python objects",
    "y2d.npz": "(one target). Got X of shape (10, 2) and dtype float64, y of shape (10, 2)",
    "flat.npy": "a 2-D array of numbers. Got shape (10,)",
    "huge.npy": "whose array declares shape (100000000000, 2) of float64, 1600000000000 bytes",
    "huge.npz": "whose array 'X.npy' declares shape (100000000000, 2)",
    "raw.npz": "whose member 'X' is not an .npy array",
    "notzip.npz": "which is not a readable zip archive",
    "text.npy": "whose array has no .npy header",
}


@pytest.mark.parametrize("name", list(NUMPY_CASES))
def test_numpy_files_are_refused_before_unpickling_or_allocating(name, tmp_path, capsys):
    marker = _numpy_files(tmp_path)
    with pytest.raises(ValueError, match=r"The 'data' parameter of read_table must be "):
        read_table(tmp_path / name)
    code, _, err = run(capsys, "train", tmp_path / name)
    assert NUMPY_CASES[name] in one_error_line(code, err)
    assert not marker.exists()


def test_parquet_without_pyarrow_names_the_extra(tmp_path, capsys, monkeypatch):
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ImportError, match=r'pip install "mlplab\[parquet\]"'):
        read_table(path)
    code, _, err = run(capsys, "train", path)
    assert 'needs pyarrow: pip install "mlplab[parquet]"' in one_error_line(code, err)


def test_a_text_column_of_100k_values_is_not_one_hot_encoded():
    n = 100_000
    names = np.array([f"n{i}" for i in range(n)], dtype=object)
    table = Table(["a", "name", "label"], [np.arange(n) % 7.0, names,
                                           np.array(["x", "y"] * (n // 2), dtype=object)], "t")
    started = time.perf_counter()
    pre = TablePreprocessor().fit(table, target="label", task="classification")
    assert pre.n_inputs == 1 and "an ID or free text?" in pre.config["ignored"]["name"]
    assert pre.transform(table).shape == (n, 1)
    assert time.perf_counter() - started < 5
    # Categories that repeat but number more than MAX_CATEGORIES: not one-hot encoded either
    k = MAX_CATEGORIES + 1
    codes = np.array([f"c{i % k}" for i in range(3 * k)], dtype=object)
    table = Table(["a", "code", "label"], [np.arange(3 * k) % 7.0, codes,
                                           np.array(["x", "y", "z"] * k, dtype=object)], "t")
    pre = TablePreprocessor().fit(table, target="label", task="classification")
    assert pre.config["ignored"]["code"] == (f"text with {k} distinct values, too many to "
                                             f"one-hot encode (at most {MAX_CATEGORIES})")


def test_the_library_raises_the_one_template_errors(tmp_path):
    table = read_table(write(tmp_path / "t.csv", BASE))
    with pytest.raises(ValueError, match=r"'data' parameter of Table.column must be a table "
                       r"with a column 'zz'. Got t.csv with the columns 'a', 'b', 'label'"):
        table.column("zz")
    with pytest.raises(ValueError, match=r"'drop' parameter of mlplab train must be columns "
                       r"other than the target. Got 'label'"):
        TablePreprocessor().fit(table, target="label", task="classification", drop=["label"])
    with pytest.raises(ValueError, match=r"'target' parameter of mlplab train must be a column "
                       r"of at least two distinct values"):
        detect_task(np.array([3.0, 3.0]), "y")
    with pytest.raises(ValueError, match=r"'config' parameter of Standardizer.from_config"):
        Standardizer.from_config({"mean": [1.0, 2.0], "scale": "x"})
    with pytest.raises(ValueError, match=r"'config' parameter of Standardizer.from_config"):
        Standardizer.from_config({"mean": [1.0], "scale": [0.0]})


# -- predict, evaluate and export on a trained model ----------------------------------------

def _rows(n, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], n)
    label = np.where(a + b + (colour == "red") > 0.5, "x", "y")
    return [[str(i), f"{a[i]:.4f}", f"{b[i]:.4f}", colour[i], label[i],
             f"{2 * a[i] - b[i] + (colour[i] == 'red'):.4f}"] for i in range(n)]


HEADER = ["id", "a", "b", "c", "label", "value"]


def columns(path, keep):
    """The CSV at `path` with the columns `keep` (in that order)."""
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    index = [rows[0].index(k) for k in keep]
    return [[row[i] for i in index] for row in rows]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A classifier (text column, gaps) with median imputing, one with --impute none, and a
    regression; the training file has gaps in 'a' and 'c'."""
    where = tmp_path_factory.mktemp("trained")
    rows = _rows(120, 0)
    for i, row in enumerate(rows):
        row[1] = "" if i % 11 == 3 else row[1]
        row[3] = "" if i % 13 == 5 else row[3]
    data = write_rows(where / "train.csv", HEADER, rows)
    full = write_rows(where / "full.csv", HEADER, _rows(120, 0))
    models = {}
    for name, flags in [("clf", ["--target", "label", "--drop", "id,value"]),
                        ("none", ["--target", "label", "--drop", "id,value", "--impute",
                                  "none"]),
                        ("reg", ["--target", "value", "--drop", "id,label"])]:
        models[name] = where / f"{name}.npz"
        source = full if name == "none" else data
        assert main(["train", str(source), *flags, "--epochs", "20", "--layers", "16",
                     "--no-progress", "--save", str(models[name])]) == 0
    new = write_rows(where / "new.csv", HEADER, _rows(30, 1))
    return where, models, new


def predictions(capsys, model, data, *flags):
    code, out, err = run(capsys, "predict", model, data, *flags)
    assert code == 0, err
    return out, err


def test_predict_matches_columns_by_name(trained, capsys, tmp_path):
    _, models, new = trained
    expected, _ = predictions(capsys, models["clf"], new, "--proba")
    shuffled = write_rows(tmp_path / "s.csv", *_split(columns(new, ["c", "label", "b",
                                                                    "value", "a", "id"])))
    assert predictions(capsys, models["clf"], shuffled, "--proba")[0] == expected
    inputs_only = write_rows(tmp_path / "i.csv", *_split(columns(new, ["b", "a", "c", "id",
                                                                       "value"])))
    assert predictions(capsys, models["clf"], inputs_only, "--proba")[0] == expected


def _split(rows):
    return rows[0], rows[1:]


PREDICT_ERRORS = {
    "a missing column": (["id", "a", "c", "label"], "clf", "Got b.csv with missing 'b' instead"),
    "an extra column": ([*HEADER, "zz"], "clf", "Got b.csv with unknown 'zz' instead"),
    "a renamed column": (["id", "A", "b", "c", "label", "value"], "clf",
                         "with missing 'a' and unknown 'A'"),
    "only the target column": (["label"], "clf", "with missing 'a', 'b', 'c'"),
    "gaps, trained with --impute none": (HEADER, "none", "no missing values in 'a' (with "
                                         "--impute none). Got 30 missing, the first on line 2 "
                                         "of b.csv"),
}


@pytest.mark.parametrize("case", list(PREDICT_ERRORS))
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_predict_and_evaluate_refuse_columns_that_do_not_fit(case, command, trained, capsys,
                                                           tmp_path):
    _, models, _ = trained
    header, model, shown = PREDICT_ERRORS[case]
    rows = _rows(30, 1)
    if model == "none":
        rows = [[r[0], "", *r[2:]] for r in rows]
    source = dict(zip(HEADER, zip(*rows, strict=True), strict=True))
    body = [[source.get(h, source["a"])[i] for h in header] for i in range(30)]  # A, zz: as a
    path = write_rows(tmp_path / "b.csv", header, body)
    code, _, err = run(capsys, command, models[model], path)
    line = one_error_line(code, err, command)
    if command == "evaluate" and case == "only the target column":
        shown = "Got b.csv with missing 'a', 'b', 'c'"  # not "'c' is not in list"
    assert shown in line


def test_unseen_categories_are_noted_beside_the_predictions(trained, capsys, tmp_path):
    _, models, _ = trained
    rows = _rows(30, 1)
    rows[4][3] = "purple"
    path = write_rows(tmp_path / "p.csv", HEADER, rows)
    out, err = predictions(capsys, models["clf"], path)
    assert err.strip() == ("mlplab predict: note: 'c': 1 values unseen in training "
                           "('purple') encoded as all zeros")
    assert len(out.strip().splitlines()) == 31 and "purple" not in out


def test_evaluate_needs_the_target(trained, capsys, tmp_path):
    _, models, new = trained
    path = write_rows(tmp_path / "n.csv", *_split(columns(new, ["id", "a", "b", "c",
                                                                "value"])))
    code, _, err = run(capsys, "evaluate", models["clf"], path)
    assert "a table with the target column 'label' to score against" in one_error_line(
        code, err, "evaluate")
    unlabelled = write_rows(tmp_path / "u.csv", HEADER, [[*r[:4], "", r[5]] for r in
                                                         _rows(30, 1)])
    code, _, err = run(capsys, "evaluate", models["clf"], unlabelled)
    assert ("a table with values of the target 'label' to score against. Got u.csv, where it "
            "is missing in all 30 rows") in one_error_line(code, err, "evaluate")


@pytest.mark.parametrize("model", ["clf", "reg"])
def test_onnx_on_raw_columns_with_gaps_gives_predict_s_answers(model, trained, capsys,
                                                               tmp_path):
    ort = pytest.importorskip("onnxruntime")
    _, models, _ = trained
    rows = _rows(30, 2)
    for i, row in enumerate(rows):
        row[1] = "" if i % 3 == 0 else row[1]
        row[3] = "" if i % 4 == 0 else row[3]
    path = write_rows(tmp_path / "gaps.csv", HEADER, rows)
    expected = job.predict_job(str(models[model]), str(path))
    onnx_file = tmp_path / "m.onnx"
    code, _, err = run(capsys, "export", models[model], onnx_file)
    assert code == 0, err
    session = ort.InferenceSession(str(onnx_file))
    table = read_table(path)
    feeds = {"input": np.stack([table.column("a"), table.column("b")], axis=1)}
    feeds["c"] = np.array([v or "" for v in table.column("c")], dtype=object)[:, None]
    outputs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds),
                       strict=True))
    assert np.isnan(feeds["input"]).any()
    if model == "clf":
        np.testing.assert_allclose(outputs["output"], expected.proba, atol=1e-5)
        assert outputs["label"].tolist() == expected.labels.tolist()
    else:
        np.testing.assert_allclose(outputs["output"][:, 0], expected.labels, atol=1e-5)


def test_a_model_file_from_before_tables_predicts_and_exports_its_scaling(tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    rng = np.random.default_rng(0)
    X = rng.normal(3, 2, size=(20, 3))
    scaler = Standardizer().fit(X)
    net = MLP([3, 4, 2], output_activation="softmax", seed=0)
    old = tmp_path / "old.npz"
    save(net, old, metadata={"task": "classification", "target": "label",
                             "standardizer": scaler.get_config(), "data_seed": 0})
    data = write_rows(tmp_path / "old.csv", ["a", "b", "c", "label"],
                      [[*map(str, x), str(i % 2)] for i, x in enumerate(X)])
    expected = job.predict_job(str(old), str(data))
    np.testing.assert_allclose(expected.proba, net.predict(scaler.transform(X)))
    code, _, err = run(capsys, "export", old, tmp_path / "old.onnx")
    assert code == 0, err
    session = ort.InferenceSession(str(tmp_path / "old.onnx"))
    proba, label = session.run(None, {"input": X})
    np.testing.assert_allclose(proba, expected.proba, atol=1e-9)
    assert label.tolist() == expected.labels.tolist()
    # the wrong number of columns, and a damaged standardizer, are one line each
    narrow = write_rows(tmp_path / "narrow.csv", ["a", "b", "label"], [["1", "2", "0"]] * 3)
    code, _, err = run(capsys, "predict", old, narrow)
    assert ("a table of the 3 input columns the model file (saved without column names) "
            "takes, and its target. Got narrow.csv with 2 input columns") in one_error_line(
        code, err, "predict")
    save(net, old, metadata={"task": "classification", "standardizer": {"mean": [1, 2],
                                                                         "scale": "x"}})
    code, _, err = run(capsys, "predict", old, data)
    assert "'config' parameter of Standardizer.from_config" in one_error_line(
        code, err, "predict")


# -- size and time -----------------------------------------------------------------------

@pytest.mark.slow
def test_a_50_mb_field_is_refused_without_reading_it_all(tmp_path, capsys):
    path = tmp_path / "big.csv"
    with path.open("w") as file:
        file.write("a,b,label\n1,2,x\n3,4,y\n5,\"" + "z" * (50 << 20) + "\",x\n")
    code, _, err = run(capsys, "train", path, "--target", "label")
    assert "field larger than field limit (131072) on line 4 of big.csv" in one_error_line(
        code, err)


@pytest.mark.slow
def test_long_and_wide_files_read_in_linear_time(tmp_path):
    rng = np.random.default_rng(0)

    def long_file(n):
        X = rng.normal(size=(n, 3))
        text = "a,b,c,label\n" + "".join(f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f},{'xy'[int(x[0] > 0)]}\n"
                                         for x in X)
        return write(tmp_path / f"long{n}.csv", text)

    def timed(path):
        started = time.perf_counter()
        table = read_table(path)
        pre = TablePreprocessor().fit(table, target="label", task="classification")
        X = pre.transform(table)
        return time.perf_counter() - started, X.shape

    small, shape = timed(long_file(50_000))
    large, shape = timed(long_file(200_000))
    assert shape == (200_000, 3) and large < 6 * small + 0.5  # 4x the rows: about 4x the time
    X = rng.normal(size=(200, 5000))
    wide = write(tmp_path / "wide.csv", ",".join(f"c{j}" for j in range(5000)) + ",label\n" +
                 "".join(",".join(f"{v:.3f}" for v in row) + f",{'xy'[i % 2]}\n"
                         for i, row in enumerate(X)))
    seconds, shape = timed(wide)
    assert shape == (200, 5000) and seconds < 10

