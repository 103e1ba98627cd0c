"""bench/real_data.py: a quick run prints every seed and the table, and the comparison is fair
(the same rows on both sides, the mlplab side exactly what the command line runs)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("pandas")

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "real_data.py"


@pytest.fixture(scope="module")
def bench():
    """bench/real_data.py as a module (bench is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_real_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its NamedTuples look themselves up there
    spec.loader.exec_module(module)
    return module


def test_a_quick_run_prints_each_seed_and_a_table_with_verdicts(bench, capsys):
    rows = bench.main(["--seeds", "2", "--sets", "iris,diabetes"])
    out = capsys.readouterr().out
    seeds = [line.split() for line in out.splitlines()
             if line.split()[:1] in (["iris"], ["diabetes"]) and line.split()[1] in "01"]
    assert [(s[0], s[1], len(s)) for s in seeds] == [
        ("iris", "0", 5), ("iris", "1", 5), ("diabetes", "0", 6), ("diabetes", "1", 6)]
    assert [(r.name, r.opponent) for r in rows] == [
        ("iris", "default"), ("diabetes", "default"), ("diabetes", "target scaled")]
    for row in rows:
        line = next(text for text in out.splitlines()
                    if text.startswith(f"{row.name:14} {row.metric:8} {row.opponent}"))
        assert line.endswith("PASS" if np.mean(row.gains) >= 0 else "FAIL")
        won, tied, lost = (int(w) for w in line.split()[-2].split("/"))
        assert won + tied + lost == 2
        assert won == np.sum(row.gains > 1e-12) and lost == np.sum(row.gains < -1e-12)
        assert f"{np.mean(row.ours):.4f}" in line or f"{np.mean(row.ours):.2f}" in line
    accuracy = rows[0]
    assert np.all((accuracy.ours > 0.6) & (accuracy.ours <= 1))  # iris: far above chance
    assert np.allclose(accuracy.gains, accuracy.ours - accuracy.theirs)
    mae = rows[1]
    assert np.allclose(mae.gains, mae.theirs - mae.ours)  # lower MAE is the gain
    assert "bundled sets against scikit-learn's default pipeline:" in out
    assert "bundled sets against scikit-learn's target scaled pipeline:" in out
    assert "extra sets" not in out


def test_both_sides_score_the_same_held_out_rows(bench, tmp_path):
    data = bench.task("breast_cancer")
    train, test = bench.split_files(data, tmp_path, 3)
    import pandas as pd

    a, b = pd.read_csv(train), pd.read_csv(test)
    assert set(a["id"]).isdisjoint(b["id"]) and len(a) + len(b) == len(data.frame)
    assert abs(len(b) - 0.2 * len(data.frame)) < 1
    # stratified: each class's share of the test rows is its share of the whole
    shares = b["diagnosis"].value_counts(normalize=True)
    whole = data.frame["diagnosis"].value_counts(normalize=True)
    assert np.allclose(shares[whole.index], whole, atol=0.01)


def test_the_mlplab_side_is_what_mlplab_train_and_evaluate_print(bench, tmp_path, capsys):
    from mlplab.cli import main

    data = bench.task("iris")
    train, test = bench.split_files(data, tmp_path, 1)
    ours = bench.mlplab_score(train, test, data, 1, tmp_path)
    model = tmp_path / "cli.npz"
    assert main(["train", str(train), "--target", "species", "--seed", "1", "--save",
                 str(model)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(model), str(test)]) == 0
    assert f"accuracy {ours:.4g}" in capsys.readouterr().out


def test_every_set_is_built_the_same_each_time_with_its_target(bench):
    for name in bench.DATASETS:
        first, again = bench.task(name), bench.task(name)
        assert first.target in first.frame.columns
        assert first.frame.equals(again.frame)
    assert set(bench.chosen_sets("bundled,moons")) == {*bench.BUNDLED, "moons"}
    with pytest.raises(SystemExit, match="--sets"):
        bench.chosen_sets("iris,nope")
