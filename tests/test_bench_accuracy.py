"""bench/accuracy.py end to end: its quick run prints the table with the expected rows."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("mnist1d")

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "accuracy.py"
DATASETS = ("digits", "mnist1d")


def run_quick(*flags: str) -> str:
    result = subprocess.run([sys.executable, str(SCRIPT), "--quick", *flags],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def table_rows(output: str) -> list[tuple[str, str, str, list[float]]]:
    """(data set, recipe, library, [mean, std, min, max, epochs, seconds]) per table line."""
    rows = []
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in DATASETS and len(words) == 9:
            rows.append((words[0], words[1], words[2], [float(w) for w in words[3:]]))
    return rows


def load_script():
    """bench/accuracy.py as a module (bench is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_accuracy", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_quick_run_prints_one_row_per_library_and_recipe():
    output = run_quick("--no-torch")
    rows = table_rows(output)
    assert [row[:3] for row in rows] == [
        ("digits", "sklearn", "scikit-learn"), ("digits", "sklearn", "mlplab"),
        ("digits", "tuned", "mlplab"),  # MLPClassifier has no dropout or schedule
        ("mnist1d", "paper", "scikit-learn"), ("mnist1d", "paper", "mlplab"),
        ("mnist1d", "tuned", "mlplab"),
    ]
    for *_, (mean, std, low, high, epochs, seconds) in rows:
        assert 0 <= low <= mean <= high <= 1 and std >= 0 and seconds > 0
        assert 2 <= epochs <= 4  # --quick runs 1/50 of 100 to 200 epochs
        assert mean > 0.15  # even a few epochs beat guessing among 10 classes
    assert "PyTorch: not installed (or --no-torch)" in output
    assert "MNIST-1D: mlplab mean test accuracy >= 0.68" in output


@pytest.mark.slow
def test_quick_run_with_pytorch_adds_its_rows():
    if importlib.util.find_spec("torch") is None:  # find, not import: torch stays out of tests
        pytest.skip("PyTorch is not installed")
    libraries = [(d, r, lib) for d, r, lib, _ in table_rows(run_quick())]
    assert [row for row in libraries if row[2] == "pytorch"] == [
        ("digits", "sklearn", "pytorch"), ("digits", "tuned", "pytorch"),
        ("mnist1d", "paper", "pytorch"), ("mnist1d", "tuned", "pytorch")]


def test_stall_rule_is_mlpclassifiers():
    # scikit-learn's rule, worked by hand with tol 1e-4 and n_iter_no_change 2: a loss
    # counts as no gain unless it is below the best so far minus tol; stop when the
    # count exceeds 2.
    rule = load_script().StallRule(2, tol=1e-4)
    losses = [1.0, 0.5, 0.49995, 0.4999, 0.49989]  # no gain 1, 2, then 3 > 2: stop
    assert [rule.stalled(loss) for loss in losses] == [False, False, False, False, True]
    # The best is the lowest loss seen, not the last one that counted as a gain: 0.99985
    # is more than tol below 1.0 (the last gain) but not below 0.99992 (the lowest).
    rule = load_script().StallRule(2, tol=1e-4)
    losses = [1.0, 0.99995, 0.99992, 0.99985]
    assert [rule.stalled(loss) for loss in losses] == [False, False, False, True]
