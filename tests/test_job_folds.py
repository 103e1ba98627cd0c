"""Member folds: each network of an ensemble watches its own stretch of one stratified ring."""

import numpy as np
import pytest

from mlplab.job.folds import member_folds, stratified_ring


@pytest.mark.parametrize("n", [5, 7, 103, 240])
def test_five_members_of_a_fifth_each_partition_the_rows(n):
    folds = member_folds(np.zeros(n, dtype=int), 5, 0.2, seed=0)
    np.testing.assert_array_equal(folds.sum(axis=0), 1)
    assert set(folds.sum(axis=1)) <= {n // 5, -(-n // 5)}


def test_other_ensembles_spread_windows_of_the_fraction_evenly():
    n = 100
    three = member_folds(np.zeros(n, dtype=int), 3, 0.2, seed=1)
    np.testing.assert_array_equal(three.sum(axis=1), 20)
    assert three.sum(axis=0).max() == 1  # 3 windows of 20%: no overlap, 40 rows unwatched
    eight = member_folds(np.zeros(n, dtype=int), 8, 0.2, seed=1)
    assert set(eight.sum(axis=1)) <= {19, 20, 21}
    np.testing.assert_array_equal(np.isin(eight.sum(axis=0), [1, 2]), True)  # overlapping
    quarter = member_folds(np.zeros(n, dtype=int), 4, 0.25, seed=1)
    np.testing.assert_array_equal(quarter.sum(axis=0), 1)


def test_every_fold_holds_the_classes_in_proportion():
    rng = np.random.default_rng(3)
    labels = rng.permutation(np.repeat([0, 1, 2], [60, 25, 15]))
    folds = member_folds(labels, 5, 0.2, seed=9)
    for c, count in zip([0, 1, 2], [60, 25, 15], strict=True):
        per_fold = folds[:, labels == c].sum(axis=1)
        assert per_fold.sum() == count and per_fold.max() - per_fold.min() <= 1


def test_the_seed_fixes_the_folds():
    labels = np.repeat([0, 1], 50)
    np.testing.assert_array_equal(member_folds(labels, 5, 0.2, 4), member_folds(labels, 5, 0.2,
                                                                                4))
    assert not np.array_equal(member_folds(labels, 5, 0.2, 4), member_folds(labels, 5, 0.2, 5))


def test_tiny_data_still_gives_every_member_a_row_to_watch_and_rows_to_train_on():
    for n in (2, 3, 4):
        folds = member_folds(np.zeros(n, dtype=int), 5, 0.2, seed=0)
        assert np.all(folds.sum(axis=1) >= 1) and np.all(folds.sum(axis=1) <= n - 1)
    folds = member_folds(np.zeros(4, dtype=int), 2, 0.9, seed=0)
    np.testing.assert_array_equal(folds.sum(axis=1), 3)


def test_the_ring_is_a_permutation_spreading_each_class():
    labels = np.repeat([0, 1], [10, 30])
    order = stratified_ring(labels, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(40))
    # each quarter of the ring holds 2 or 3 of class 0's 10 rows
    per_quarter = (labels[order] == 0).reshape(4, 10).sum(axis=1)
    assert per_quarter.min() >= 2 and per_quarter.max() <= 3
