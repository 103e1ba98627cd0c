"""mlplab.data: toy sets, bundled and generated sets, the user's files, splits, scaling."""

import json
import random
import sys

import numpy as np
import pytest

from mlplab.data import (
    Standardizer,
    circles,
    load,
    load_array,
    load_csv,
    mnist1d,
    moons,
    spirals,
    train_test_split,
    train_val_test_split,
    xor,
)


def global_states():
    """Python's and NumPy's global random states, to check that nothing changed them."""
    kind, keys, pos, gauss, cached = np.random.get_state()
    return random.getstate(), (kind, keys.tolist(), pos, gauss, cached)


# ---------------------------------------------------------------- toy sets

TOY = [(xor, {}, 2), (circles, {}, 2), (moons, {}, 2), (spirals, {}, 2),
       (spirals, {"arms": 5}, 5)]


@pytest.mark.parametrize(("make", "options", "classes"), TOY)
def test_toy_sets_are_2d_with_balanced_integer_labels(make, options, classes):
    for n in (203, 40):
        X, y = make(n, seed=0, **options)
        assert X.shape == (n, 2) and X.dtype == np.float64
        assert y.shape == (n,) and y.dtype == np.int64
        counts = np.bincount(y)
        assert len(counts) == classes
        assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize(("make", "options", "classes"), TOY)
def test_toy_sets_are_determined_by_the_seed_alone(make, options, classes):
    before = global_states()
    first, again = make(50, seed=3, **options), make(50, seed=3, **options)
    from_generator = make(50, seed=np.random.default_rng(3), **options)
    other = make(50, seed=4, **options)
    for a, b in [(first, again), (first, from_generator)]:
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(first.X, other.X)
    assert global_states() == before


@pytest.mark.parametrize(("make", "options", "classes"), TOY)
def test_toy_noise_is_gaussian_of_the_given_scale_on_the_same_points(make, options, classes):
    clean = make(4000, noise=0.0, seed=1, **options)
    small = make(4000, noise=0.1, seed=1, **options)
    large = make(4000, noise=0.2, seed=1, **options)
    np.testing.assert_array_equal(small.y, clean.y)
    np.testing.assert_array_equal(large.y, clean.y)
    np.testing.assert_allclose(large.X - clean.X, 2 * (small.X - clean.X), atol=1e-12)
    shift = small.X - clean.X
    np.testing.assert_allclose(shift.std(axis=0), [0.1, 0.1], rtol=0.05)
    np.testing.assert_allclose(shift.mean(axis=0), [0.0, 0.0], atol=0.01)


def test_xor_without_noise_is_the_tutorials_inputs_with_xor_labels():
    X, y = xor(101, noise=0.0, seed=0)
    assert set(map(tuple, X)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]))


def test_circles_without_noise_lie_on_their_radii():
    X, y = circles(300, noise=0.0, factor=0.3, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = moons(300, noise=0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert upper[:, 1].min() >= 0
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert lower[:, 1].max() <= 0.5


def test_spiral_arms_start_evenly_spaced_and_wind_with_the_radius():
    arms, turns = 3, 1.5
    X, y = spirals(600, arms=arms, turns=turns, noise=0.0, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 1], X[:, 0])
    # Undo the winding: what is left is the arm's starting angle 2 pi k / arms.
    start = np.mod(angle - 2 * np.pi * turns * radius, 2 * np.pi)
    expected = 2 * np.pi * y / arms
    gap = np.abs(np.angle(np.exp(1j * (start - expected))))
    assert gap.max() < 1e-9
    assert radius.max() <= 1


@pytest.mark.parametrize(("call", "name"), [
    (lambda: xor(1), "n_samples"),
    (lambda: moons(100, noise=-0.1), "noise"),
    (lambda: moons(100, noise=[0.1, 0.2]), "noise"),
    (lambda: circles(100, factor=1.5), "factor"),
    (lambda: spirals(100, arms=1), "arms"),
    (lambda: spirals(4, arms=5), "n_samples"),
    (lambda: spirals(100, turns=0), "turns"),
    (lambda: moons(100, seed=-1), "seed"),
    (lambda: moons(100, seed=1.5), "seed"),
])
def test_toy_sets_reject_bad_arguments_by_name(call, name):
    with pytest.raises(ValueError, match=f"The '{name}' parameter of .* must be"):
        call()


# ---------------------------------------------------------------- scikit-learn's sets

# Sizes and class counts as the data sets' documentation (UCI, scikit-learn) gives them.
BUNDLED = {
    "digits": ((1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]),
    "iris": ((150, 4), [50, 50, 50]),
    "wine": ((178, 13), [59, 71, 48]),
    "breast_cancer": ((569, 30), [212, 357]),
}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_sets_have_their_documented_shapes_and_classes(name):
    pytest.importorskip("sklearn")
    shape, counts = BUNDLED[name]
    X, y = load(name)
    assert X.shape == shape and X.dtype == np.float64
    assert y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), counts)


def test_bundled_sets_without_sklearn_say_which_extra_to_install(monkeypatch):
    from mlplab.data import iris

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "mlplab\[sklearn\]"'):
        iris()


# ---------------------------------------------------------------- MNIST-1D


@pytest.fixture(scope="module")
def paper_mnist1d():
    pytest.importorskip("mnist1d")
    return mnist1d()


def test_mnist1d_defaults_give_the_papers_split(paper_mnist1d):
    X_train, X_test, y_train, y_test = paper_mnist1d
    assert X_train.shape == (4000, 40) and X_test.shape == (1000, 40)
    assert y_train.shape == (4000,) and y_test.shape == (1000,)
    assert y_train.dtype == np.int64 and set(np.unique(y_test)) == set(range(10))
    # The paper makes 500 signals per digit, then standardizes the whole set.
    np.testing.assert_array_equal(np.bincount(np.concatenate([y_train, y_test])), [500] * 10)
    everything = np.concatenate([X_train, X_test])
    assert abs(everything.mean()) < 1e-12 and abs(everything.std() - 1) < 1e-12


def test_mnist1d_follows_the_seed_and_passes_the_packages_defaults(paper_mnist1d):
    from mnist1d.data import get_dataset_args, make_dataset

    small = mnist1d(seed=7, n_samples=200)
    np.testing.assert_array_equal(small.X_train, mnist1d(seed=7, n_samples=200).X_train)
    assert not np.array_equal(small.X_train, mnist1d(seed=8, n_samples=200).X_train)
    args = get_dataset_args()
    args.seed, args.num_samples = 7, 200
    direct = make_dataset(args)
    np.testing.assert_array_equal(small.X_train, direct["x"])
    np.testing.assert_array_equal(small.y_test, direct["y_test"])


def test_mnist1d_never_downloads_writes_or_leaves_global_state(paper_mnist1d, monkeypatch,
                                                                tmp_path):
    import requests
    from mnist1d import data as package

    def forbidden(*args, **kwargs):
        raise AssertionError("mlplab must generate MNIST-1D, never download it")

    monkeypatch.setattr(package, "get_dataset", forbidden)
    monkeypatch.setattr(requests, "get", forbidden)
    monkeypatch.chdir(tmp_path)
    before = global_states()
    mnist1d(seed=1, n_samples=100)
    assert global_states() == before
    assert list(tmp_path.iterdir()) == []


def test_mnist1d_options_and_parts(paper_mnist1d):
    halves = mnist1d(n_samples=200, train_split=0.5, shuffle_seq=True)
    assert len(halves.X_train) == len(halves.X_test) == 100
    test = load("mnist1d", part="test", n_samples=200)
    assert test.X.shape == (40, 40)
    everything = load("mnist1d", part="all", n_samples=200)
    assert everything.X.shape == (200, 40)
    np.testing.assert_array_equal(everything.X[-40:], test.X)


def test_mnist1d_caches_only_to_the_path_given(paper_mnist1d, tmp_path, monkeypatch):
    from mlplab.data import mnist_1d

    path = tmp_path / "mnist1d.npz"
    first = mnist1d(seed=3, n_samples=100, path=path)
    assert path.exists()

    def regenerate(settings):
        raise AssertionError("the cache should have been read")

    monkeypatch.setattr(mnist_1d, "_generate", regenerate)
    cached = mnist1d(seed=3, n_samples=100, path=str(path))
    for a, b in zip(first, cached, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"differs in seed"):
        mnist1d(seed=4, n_samples=100, path=path)


@pytest.mark.parametrize(("kwargs", "error", "pattern"), [
    ({"n_samples": 105}, ValueError, "'n_samples' parameter of mnist1d must be a multiple"),
    ({"seed": 2**32}, ValueError, "'seed' parameter of mnist1d"),
    ({"path": "cache.pkl"}, ValueError, "'path' parameter of mnist1d must be None or a path "
                                        "ending in .npz"),
    ({"url": "http://example.org"}, TypeError, "Got url instead"),
    ({"noise": 0.1}, TypeError, "must be settings among .*iid_noise_scale"),
])
def test_mnist1d_rejects_bad_arguments(paper_mnist1d, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        mnist1d(**kwargs)


def test_mnist1d_without_the_package_says_which_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match=r'pip install "mlplab\[data\]"'):
        mnist1d()


# ---------------------------------------------------------------- the user's files


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_picks_the_target_by_name_index_or_none(tmp_path):
    path = write(tmp_path / "data.csv", "a,b,label\n1,2,0\n3,4.5,1\n\n-5e-1,6,2\n")
    X, y = load_csv(path)
    np.testing.assert_array_equal(X, [[1, 2], [3, 4.5], [-0.5, 6]])
    np.testing.assert_array_equal(y, [0, 1, 2])
    X, y = load_csv(path, target="a")
    np.testing.assert_array_equal(X, [[2, 0], [4.5, 1], [6, 2]])
    np.testing.assert_array_equal(y, [1, 3, -0.5])
    np.testing.assert_array_equal(load_csv(path, target=1).y, [2, 4.5, 6])
    X, y = load_csv(path, target=None)
    assert X.shape == (3, 3) and y is None


def test_load_csv_header_detection_quotes_bom_and_other_delimiters(tmp_path):
    plain = write(tmp_path / "plain.csv", "1,2,3\n4,5,6\n")
    np.testing.assert_array_equal(load_csv(plain).y, [3, 6])
    assert load_csv(plain, header=True).X.shape == (1, 2)
    excel = tmp_path / "excel.csv"
    excel.write_text('\ufeff"x","y"\n"1.5","2"\n', encoding="utf-8")
    np.testing.assert_array_equal(load_csv(excel, target="y").X, [[1.5]])
    tabs = write(tmp_path / "data.tsv", "x\ty\n1\t2\n")
    np.testing.assert_array_equal(load(tabs).y, [2])
    semi = write(tmp_path / "semi.csv", "x;y\n1;2\n")
    np.testing.assert_array_equal(load(semi, delimiter=";").X, [[1]])


@pytest.mark.parametrize(("text", "kwargs", "pattern"), [
    ("a,b\n1,2\n3,x\n", {}, r"Got 'x' in column 'b' \(index 1\) on line 3 of bad.csv"),
    ("1,2\n3,x\n", {}, r"Got 'x' in column index 1 on line 2 of bad.csv"),
    ("a,b\n1,\n", {}, r"Got '' in column 'b' \(index 1\) on line 2"),
    ("a,b\n1,2\nnan,3\n", {}, r"finite numbers. Got 'nan' in column 'a' \(index 0\) on line 3"),
    ("a,b\n1,2\n3,4,5\n", {}, r"2 fields in every row. Got 3 fields on line 3"),
    ("", {}, "Got bad.csv, which is empty"),
    ("\n\n", {}, "Got bad.csv, which is empty"),
    ("a,b\n", {}, "which has a header and no data"),
    ("a,b\n1,2\n", {"target": "c"}, "'target' parameter of load_csv must be one of the "
                                    "columns 'a', 'b'. Got 'c'"),
    ("1,2\n", {"target": "b"}, r"a column index \(the file names no columns\)"),
    ("1,2\n", {"target": 2}, r"an index in \[-2, 2\)"),
    ("a\n1\n", {}, "'target' parameter of load_csv must be None for a table of one column"),
    ("a,b\n1,2\n", {"delimiter": ", "}, "'delimiter' parameter of load_csv"),
    ("a,b\n1,2\n", {"header": "yes"}, "'header' parameter of load_csv"),
])
def test_load_csv_reports_what_and_where(tmp_path, text, kwargs, pattern):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=pattern):
        load_csv(path, **kwargs)


def test_missing_files_raise_file_not_found_naming_the_path(tmp_path):
    for loader in (load_csv, load_array, load):
        with pytest.raises(FileNotFoundError, match=r"must be an existing file. Got .*nope"):
            loader(tmp_path / "nope.csv" if loader is not load_array else tmp_path / "nope.npy")


def test_load_array_npy_takes_the_last_or_a_given_column(tmp_path):
    table = np.arange(12, dtype=np.int32).reshape(4, 3)
    np.save(tmp_path / "data.npy", table)
    X, y = load_array(tmp_path / "data.npy")
    np.testing.assert_array_equal(X, table[:, :2])
    np.testing.assert_array_equal(y, table[:, 2])
    assert X.dtype == np.float64
    X, y = load(tmp_path / "data.npy", target=0)
    np.testing.assert_array_equal(X, table[:, 1:])
    np.testing.assert_array_equal(y, table[:, 0])
    X, y = load_array(tmp_path / "data.npy", target=None)
    assert X.shape == (4, 3) and y is None


def test_load_array_npz_reads_x_and_y_or_named_arrays(tmp_path):
    X, labels = np.ones((5, 3)), np.arange(5)
    np.savez(tmp_path / "data.npz", X=X, y=labels, signals=2 * X, digits=labels[::-1])
    loaded = load(str(tmp_path / "data.npz"))
    np.testing.assert_array_equal(loaded.X, X)
    np.testing.assert_array_equal(loaded.y, labels)
    assert loaded.y.dtype == labels.dtype  # class labels stay integers
    named = load_array(tmp_path / "data.npz", features="signals", target="digits")
    np.testing.assert_array_equal(named.X, 2 * X)
    np.testing.assert_array_equal(named.y, labels[::-1])
    assert load_array(tmp_path / "data.npz", target=None).y is None


def test_load_array_errors(tmp_path):
    np.savez(tmp_path / "data.npz", X=np.ones((5, 3)), y=np.arange(4), flat=np.ones(5))
    with pytest.raises(ValueError, match=r"'features' parameter .* one of 'X', 'y', 'flat'"):
        load_array(tmp_path / "data.npz", features="inputs")
    with pytest.raises(ValueError, match=r"array of 5 rows.* Got 'y' of shape"):
        load_array(tmp_path / "data.npz")
    with pytest.raises(ValueError, match=r"the name of a 2-D array"):
        load_array(tmp_path / "data.npz", features="flat", target=None)
    with pytest.raises(ValueError, match=r"'target' parameter .* Got 3 instead"):
        load_array(tmp_path / "data.npz", target=3)

    np.save(tmp_path / "objects.npy", np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"saved without pickle. Got objects.npy"):
        load_array(tmp_path / "objects.npy")
    np.save(tmp_path / "text.npy", np.array([["1", "a"]]))
    with pytest.raises(ValueError, match=r"arrays of numbers. Got the array of dtype <U1"):
        load_array(tmp_path / "text.npy")
    np.save(tmp_path / "nan.npy", np.array([[1.0, 2.0], [3.0, np.inf]]))
    with pytest.raises(ValueError, match=r"Got inf in the array of nan.npy at index \(1, 1\)"):
        load_array(tmp_path / "nan.npy")
    np.save(tmp_path / "flat.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"a 2-D array. Got shape"):
        load_array(tmp_path / "flat.npy")
    write(tmp_path / "junk.npy", "not numpy at all")
    with pytest.raises(ValueError, match=r"Got junk.npy"):
        load_array(tmp_path / "junk.npy")
    np.save(tmp_path / "good.npy", np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"a column index \(the file names no columns\)"):
        load_array(tmp_path / "good.npy", target="y")


def test_load_knows_names_and_extensions_and_says_so_otherwise():
    _, y = load("tutorial", targets="part2")
    np.testing.assert_array_equal(y[:, 0], [0, 1, 1, 0])
    np.testing.assert_array_equal(load("spirals", arms=3, seed=0).X, spirals(arms=3, seed=0).X)
    with pytest.raises(ValueError, match=r"'name_or_path' parameter of load must be one of "
                                         r"'tutorial', .*'mnist1d' or a path to a .csv"):
        load("mnist")
    with pytest.raises(ValueError, match=r"'name_or_path' parameter of load"):
        load("table.xlsx")


def test_load_accepts_dashes_for_underscores():
    pytest.importorskip("sklearn")
    assert load("breast-cancer").X.shape == (569, 30)


# ---------------------------------------------------------------- splits


def rows(n, classes=None):
    """X whose first column numbers the rows; y that follows each row, or given classes."""
    X = np.column_stack([np.arange(n), np.zeros(n)])
    return X, np.arange(n) * 10 if classes is None else np.asarray(classes)


@pytest.mark.parametrize(("n", "test_size", "n_test"), [
    (10, 0.25, 3), (10, 0.3, 3), (10, 0.5, 5), (100, 0.2, 20), (7, 2, 2), (3, 0.01, 1),
])
def test_train_test_split_sizes_cover_every_row_once(n, test_size, n_test):
    X, y = rows(n)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=0)
    assert len(X_test) == n_test and len(X_train) == n - n_test
    assert sorted(np.concatenate([X_train[:, 0], X_test[:, 0]])) == list(range(n))
    np.testing.assert_array_equal(y_train, X_train[:, 0] * 10)
    np.testing.assert_array_equal(y_test, X_test[:, 0] * 10)


def test_train_test_split_is_seeded_and_shuffles():
    X, y = rows(50)
    first = train_test_split(X, y, seed=1)
    np.testing.assert_array_equal(first.X_test, train_test_split(X, y, seed=1).X_test)
    assert not np.array_equal(first.X_test, train_test_split(X, y, seed=2).X_test)
    assert not np.array_equal(first.X_train[:, 0], np.sort(first.X_train[:, 0]))


def test_stratified_split_keeps_class_proportions():
    classes = np.repeat([0, 1, 2], [50, 30, 20])
    X, y = rows(100, np.random.default_rng(0).permutation(classes))
    split = train_test_split(X, y, test_size=0.3, seed=0, stratify=True)
    np.testing.assert_array_equal(np.bincount(split.y_test), [15, 9, 6])
    np.testing.assert_array_equal(np.bincount(split.y_train), [35, 21, 14])
    np.testing.assert_array_equal(y[split.X_test[:, 0].astype(int)], split.y_test)


@pytest.mark.parametrize("seed", range(5))
def test_stratified_split_is_within_one_row_of_every_share(seed):
    rng = np.random.default_rng(seed)
    counts = rng.integers(2, 40, size=rng.integers(2, 7))
    X, y = rows(counts.sum(), rng.permutation(np.repeat(np.arange(len(counts)), counts)))
    test_size = float(rng.uniform(0.1, 0.6))
    split = train_test_split(X, y, test_size=test_size, seed=seed, stratify=True)
    n_test = int(np.ceil(test_size * counts.sum()))
    assert len(split.y_test) == n_test
    share = counts * n_test / counts.sum()
    assert np.all(np.abs(np.bincount(split.y_test, minlength=len(counts)) - share) < 1)


def test_stratify_reads_one_hot_rows():
    labels = np.repeat([0, 1], [80, 20])
    X, y = rows(100, np.eye(2)[labels])
    split = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
    np.testing.assert_array_equal(split.y_test.sum(axis=0), [20, 5])


def test_three_way_split_sizes_disjoint_and_stratified():
    classes = np.repeat([0, 1], [60, 40])
    X, y = rows(100, classes)
    parts = train_val_test_split(X, y, val_size=0.2, test_size=0.1, seed=0, stratify=True)
    ids = [part[:, 0] for part in (parts.X_train, parts.X_val, parts.X_test)]
    assert [len(i) for i in ids] == [70, 20, 10]
    assert sorted(np.concatenate(ids)) == list(range(100))
    np.testing.assert_array_equal(np.bincount(parts.y_val), [12, 8])
    np.testing.assert_array_equal(np.bincount(parts.y_test), [6, 4])
    np.testing.assert_array_equal(y[parts.X_val[:, 0].astype(int)], parts.y_val)


def test_three_way_split_keeps_a_class_of_two_on_some_side():
    X, y = rows(12, np.repeat([0, 1], [10, 2]))
    parts = train_val_test_split(X, y, val_size=1, test_size=1, seed=0, stratify=True)
    assert sum(len(p) for p in (parts.y_train, parts.y_val, parts.y_test)) == 12
    assert len(parts.y_val) == len(parts.y_test) == 1


@pytest.mark.parametrize(("call", "pattern"), [
    (lambda X, y: train_test_split(X, y, test_size=0), "'test_size' parameter of "
                                                       "train_test_split must be a fraction"),
    (lambda X, y: train_test_split(X, y, test_size=1.0), "'test_size'"),
    (lambda X, y: train_test_split(X, y, test_size=10), r"rows in \[1, 9\]"),
    (lambda X, y: train_test_split(X, y, test_size=True), "'test_size'"),
    (lambda X, y: train_test_split(X, y[:5]), "'y' parameter .* 10 rows, one per row of X"),
    (lambda X, y: train_test_split(X[:1], y[:1]), "'X' parameter .* at least 2 rows"),
    (lambda X, y: train_test_split(X, y, stratify="yes"), "'stratify'"),
    (lambda X, y: train_test_split(X, y / 3, stratify=True), "class labels .* to stratify"),
    (lambda X, y: train_val_test_split(X, y, val_size=0.5, test_size=0.5), "rows for training"),
    (lambda X, y: train_val_test_split(X, y, seed="a"), "'seed' parameter"),
])
def test_splits_reject_bad_arguments(call, pattern):
    X, y = rows(10)
    with pytest.raises(ValueError, match=pattern):
        call(X, y)


# ---------------------------------------------------------------- standardization


def test_standardizer_uses_training_statistics_everywhere():
    rng = np.random.default_rng(0)
    X_train = rng.normal(loc=[5, -3, 0], scale=[2, 0.5, 10], size=(200, 3))
    X_test = rng.normal(size=(20, 3))
    scaler = Standardizer().fit(X_train)
    Z = scaler.transform(X_train)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-12)
    by_hand = (X_test - X_train.sum(axis=0) / 200) / np.sqrt(
        ((X_train - X_train.sum(axis=0) / 200) ** 2).sum(axis=0) / 200)
    np.testing.assert_allclose(scaler.transform(X_test), by_hand, rtol=1e-12)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(X_test)), X_test,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(scaler.fit_transform(X_train), Z)


def test_standardizer_maps_constant_columns_to_zero_and_back():
    X = np.column_stack([np.full(7, 0.1), np.arange(7.0), np.zeros(7)])
    scaler = Standardizer().fit(X)
    Z = scaler.transform(X)
    assert np.all(np.isfinite(Z))
    np.testing.assert_array_equal(Z[:, [0, 2]], 0.0)
    np.testing.assert_array_equal(scaler.inverse_transform(Z)[:, [0, 2]], X[:, [0, 2]])


def test_standardizer_config_round_trips_through_json():
    X = np.random.default_rng(1).normal(size=(30, 4))
    scaler = Standardizer().fit(X)
    restored = Standardizer.from_config(json.loads(json.dumps(scaler.get_config())))
    np.testing.assert_array_equal(restored.transform(X), scaler.transform(X))
    assert Standardizer.from_config(Standardizer().get_config()).mean_ is None


def test_standardizer_keeps_float32_and_checks_its_input():
    X = np.random.default_rng(2).normal(size=(30, 2)).astype(np.float32)
    scaler = Standardizer()
    with pytest.raises(RuntimeError, match=r"call fit"):
        scaler.transform(X)
    assert scaler.fit(X).transform(X).dtype == np.float32
    assert scaler.transform(np.ones((2, 2), dtype=int)).dtype == np.float64
    with pytest.raises(ValueError, match=r"'X' parameter of Standardizer.transform must have 2 "
                                         r"columns"):
        scaler.transform(np.ones((3, 3)))
    with pytest.raises(ValueError, match=r"'X' parameter of Standardizer.fit must be finite"):
        Standardizer().fit([[1.0, np.nan], [2.0, 3.0]])
