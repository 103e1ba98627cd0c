"""TablePreprocessor and detect_task: what is learned from training rows, applied by name."""

import json

import numpy as np
import pytest

from mlplab.data.table import Table
from mlplab.preprocessing import TablePreprocessor, detect_task


def table(**columns):
    return Table(list(columns), [np.asarray(v, dtype=object if any(isinstance(x, str) or x is None
                                                                  for x in v) else float)
                                 for v in columns.values()], "t.csv")


@pytest.mark.parametrize(("values", "task"), [
    (np.array(["a", "b", "a"], dtype=object), "classification"),
    (np.array([-1.0, 1.0] * 10), "classification"),
    (np.array([1.0, 2.0, 3.0] * 10), "classification"),
    (np.array([0.5, 1.0] * 10), "regression"),
    (np.arange(20.0) * 13, "regression"),  # 20 whole numbers, all different: not 248 classes
    (np.array([1.0, 2, 3, 4, 5] * 4), "regression"),  # 5 values in 20 rows: more than 20 // 5
    (np.array([1.0, 2, 3, 4] * 5), "classification"),
])
def test_the_task_follows_the_labels(values, task):
    assert detect_task(values, "y")[0] == task


def test_the_task_can_be_forced_but_text_is_never_a_regression():
    # 10 whole numbers in 40 rows: a regression unless told (at most 8 are classes)
    assert detect_task(np.arange(40.0) % 10, "y")[0] == "regression"
    assert detect_task(np.arange(40.0) % 10, "y", "classification")[0] == "classification"
    with pytest.raises(ValueError, match="'task' parameter of mlplab train"):
        detect_task(np.array(["a", "b"], dtype=object), "y", "regression")


def test_fit_drops_constants_and_asked_columns_fills_and_scales_from_training_rows():
    train = table(id=[1, 2, 3, 4], x=[1.0, np.nan, 3.0, 5.0], k=[7, 7, 7, 7],
                  colour=["red", None, "blue", "red"], y=["a", "b", "a", "b"])
    pre = TablePreprocessor().fit(train, target="y", task="classification", drop=["id"])
    assert pre.input_columns == ["x", "colour"] and pre.n_inputs == 3
    assert pre.config["ignored"] == {"id": "dropped (--drop)", "k": "constant"}
    X = pre.transform(train)
    filled = np.array([1.0, 3.0, 3.0, 5.0])  # the median of 1, 3, 5 fills the gap
    np.testing.assert_allclose(X[:, 0], (filled - filled.mean()) / filled.std())
    np.testing.assert_array_equal(X[:, 1:], [[0, 1], [0, 1], [1, 0], [0, 1]])  # blue, red
    assert any("1 missing filled with the median 3" in line for line in pre.summary())


def test_transform_matches_columns_by_name_and_refuses_missing_or_unknown_ones():
    train = table(a=[1.0, 2.0, 3.0], b=[0.0, 5.0, 1.0], y=[0.5, 1.5, 2.0])
    pre = TablePreprocessor().fit(train, target="y", task="regression")
    shuffled = table(b=[0.0, 5.0, 1.0], a=[1.0, 2.0, 3.0])  # reordered, no target
    np.testing.assert_array_equal(pre.transform(shuffled), pre.transform(train))
    with pytest.raises(ValueError, match=r"Got t.csv with missing 'b' instead"):
        pre.transform(table(a=[1.0]))
    with pytest.raises(ValueError, match=r"Got t.csv with unknown 'c' instead"):
        pre.transform(table(a=[1.0], b=[2.0], c=[3.0]))


def test_unseen_categories_are_zeros_and_said():
    train = table(c=["u", "v", "u"], y=[0.0, 1.0, 0.0])
    pre = TablePreprocessor().fit(train, target="y", task="classification")
    new = table(c=["w", "v"])
    np.testing.assert_array_equal(pre.transform(new), [[0, 0], [0, 1]])
    assert "'c': 1 values unseen in training ('w') encoded as all zeros" in pre.unseen(new)


def test_impute_none_refuses_missing_values_naming_the_column():
    train = table(a=[1.0, np.nan, 3.0], b=[1.0, 2.0, 0.0], y=[0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"no missing values in 'a' \(with --impute none\). "
                       r"Got 1 missing, the first on row 2 of "):
        TablePreprocessor().fit(train, target="y", task="classification", impute="none")


def test_targets_are_encoded_and_decoded_in_their_own_terms():
    train = table(a=[1.0, 2.0, 3.0, 4.0], y=[3.0, 1.0, 2.0, 3.0])
    pre = TablePreprocessor().fit(train, target="y", task="classification")
    assert pre.classes == [1, 2, 3]  # exactly the labels present: no class 0
    np.testing.assert_array_equal(pre.encode_target(train.column("y"), "t"), [2, 0, 1, 2])
    assert pre.decode(np.eye(3)).tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="Got the labels '7'"):
        pre.encode_target(np.array([7.0]), "t")
    reg = TablePreprocessor().fit(train, target="y", task="regression")
    t = reg.encode_target(train.column("y"), "t")
    np.testing.assert_allclose([t.mean(), t.std()], [0, 1], atol=1e-12)
    np.testing.assert_allclose(reg.decode(t[:, None]), train.column("y"))


def test_config_round_trips_through_json():
    train = table(a=[1.0, np.nan, 3.0], c=["x", "y", None], y=["p", "q", "p"])
    pre = TablePreprocessor().fit(train, target="y", task="classification")
    again = TablePreprocessor.from_config(json.loads(json.dumps(pre.get_config())))
    np.testing.assert_array_equal(again.transform(train), pre.transform(train))
    assert again.classes == ["p", "q"] and again.summary() == pre.summary()
    with pytest.raises(ValueError, match=r"from TablePreprocessor\.get_config"):
        TablePreprocessor.from_config({"columns": []})


def test_a_text_column_of_mostly_distinct_values_is_not_used():
    names = [f"name {i}" for i in range(300)]
    train = table(name=names, x=np.arange(300.0), y=[0.0, 1.0] * 150)
    pre = TablePreprocessor().fit(train, target="y", task="classification")
    assert pre.input_columns == ["x"]
    assert pre.config["ignored"]["name"] == ("text with 300 distinct values in 300 rows (an ID "
                                             "or free text?)")
