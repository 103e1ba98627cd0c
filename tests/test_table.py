"""read_table: the user's files as named columns of numbers or text, with missing values."""

import numpy as np
import pytest

from mlplab.data.table import Table, read_table


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_each_column_is_numbers_or_text_with_missing_values(tmp_path):
    path = write(tmp_path / "t.csv", "id,size,colour,label\n1,2.5,red,yes\n2,,NA,no\n"
                 "3,?,blue,yes\n\n4,-1e1, green ,no\n")
    table = read_table(path)
    assert table.names == ["id", "size", "colour", "label"] and table.n_rows == 4
    np.testing.assert_array_equal(table.column("id"), [1, 2, 3, 4])
    np.testing.assert_array_equal(table.column("size"), [2.5, np.nan, np.nan, -10])
    assert table.column("colour").tolist() == ["red", None, "blue", "green"]
    assert table.is_text("label") and not table.is_text("size")


def test_delimiters_are_sniffed_or_given_and_tsv_is_tab(tmp_path):
    semi = read_table(write(tmp_path / "s.csv", "a;b\n1.5;x\n2.5;y\n"))
    assert semi.names == ["a", "b"] and semi.column("a").tolist() == [1.5, 2.5]
    tabs = read_table(write(tmp_path / "t.tsv", "a\tb\n1\t2\n"))
    assert tabs.names == ["a", "b"]
    assert read_table(write(tmp_path / "t.txt", "a\tb\n1\t2\n"), delimiter="\\t").names == [
        "a", "b"]
    bars = read_table(write(tmp_path / "b.txt", "a|b\n1|2\n"), delimiter="|")
    assert bars.column("b").tolist() == [2.0]


def test_a_file_without_header_names_columns_by_index(tmp_path):
    table = read_table(write(tmp_path / "n.csv", "1,2,3\n4,5,6\n"))
    assert table.names == ["0", "1", "2"]
    assert table.find("-1", "test") == "2" and table.find(0, "test") == "0"


@pytest.mark.parametrize(("text", "pattern"), [
    ("a,b\n1,2\n3,4,5\n", r"2 fields in every row. Got 3 fields on line 3 of bad.csv"),
    ("a,b\n1,inf\n", r"Got 'inf' in column 'b' on line 2 of bad.csv"),
    ("a,a\n1,2\n", r"names every column once. Got 'a' more than once"),
    ("", "Got bad.csv, which is empty"),
    ("a,b\n", "which has a header and no data"),
])
def test_bad_files_are_reported_with_the_line_and_column(tmp_path, text, pattern):
    with pytest.raises(ValueError, match=pattern):
        read_table(write(tmp_path / "bad.csv", text))


def test_find_names_the_columns_when_the_target_is_not_one(tmp_path):
    table = read_table(write(tmp_path / "t.csv", "a,b\n1,2\n"))
    with pytest.raises(ValueError, match=r"'target' parameter of test must be a column of "
                       r"t.csv: a name among 'a', 'b' or an index in \[-2, 2\). Got 'c'"):
        table.find("c", "test")


def test_numpy_files_become_tables(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(6.0).reshape(3, 2))
    assert read_table(tmp_path / "a.npy").names == ["0", "1"]
    np.savez(tmp_path / "b.npz", X=np.ones((3, 2)), y=np.array(["u", "v", "u"]))
    table = read_table(tmp_path / "b.npz")
    assert table.names == ["0", "1", "y"] and table.column("y").tolist() == ["u", "v", "u"]
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"one target\)\. Got X of shape \(3, 2\) and dtype "
                       r"float64, y of shape \(3, 2\) in d.npz"):
        read_table(tmp_path / "d.npz")
    np.save(tmp_path / "c.npy", np.array(["x"]))
    with pytest.raises(ValueError, match="2-D array of numbers"):
        read_table(tmp_path / "c.npy")


def test_parquet_keeps_names_types_and_nulls(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1.5, None, 3.0], "kind": ["a", None, "b"],
                             "n": [1, 2, 3]}), tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    assert table.names == ["x", "kind", "n"]
    np.testing.assert_array_equal(table.column("x"), [1.5, np.nan, 3.0])
    assert table.column("kind").tolist() == ["a", None, "b"]


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ImportError, match=r'pip install "mlplab\[parquet\]"'):
        read_table(tmp_path / "t.parquet")


def test_from_arrays_and_take():
    table = Table.from_arrays(np.arange(6).reshape(3, 2), np.array(["a", "b", "a"]),
                              source="s", names=["p", "q"])
    part = table.take([2, 0])
    assert part.names == ["p", "q", "target"]
    assert part.column("p").tolist() == [4.0, 0.0] and part.column("target").tolist() == [
        "a", "a"]


def test_a_missing_value_refused_with_impute_none_is_named_by_its_line_in_the_file(tmp_path):
    from mlplab.preprocessing import TablePreprocessor

    path = tmp_path / "notes.csv"  # a quoted field over two lines: rows and lines part ways
    path.write_text('a,note,y\n1,"two\nlines",x\n2,plain,y\n,plain,x\n4,plain,y\n')
    table = read_table(path, owner="mlplab train")
    assert table.lines.tolist() == [3, 4, 5, 6] and table.where(2) == "line 5 of notes.csv"
    assert table.take([2, 0]).lines.tolist() == [5, 3]
    with pytest.raises(ValueError, match=r"1 missing, the first on line 5 of notes.csv"):
        TablePreprocessor().fit(table, target="y", task="classification", impute="none")
