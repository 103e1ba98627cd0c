"""bench/gpu.py's own logic, without a GPU: its tiny mode on CPU backends prints every section.

The tiny mode runs each section with small sizes on the given backend in place of
CuPy and skips PyTorch, so the timing, table, ratio and agreement code all run
here in about a second. The real measurement needs an NVIDIA GPU.
"""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "gpu.py"
FAILED = re.compile(r"failed: (?P<what>.*) \(raised in (?P<where>\S+):\d+, [^)]*\)$")


def run_script(*flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *flags], capture_output=True,
                          text=True, timeout=120, check=False)


def check_tiny_output(output: str, backend: str) -> None:
    """Every section printed its header, its timings, its ratios and the sweep's agreement."""
    for header in ("[mnist] 1 epoch = 16 steps of batch 32", "[wide] 32-64-64-10 ReLU",
                   "[sweep] 7 alphas x 7 hidden sizes"):
        assert header in output
    assert output.count("samples/s") == 4  # mnist: guard off and on; wide: GPU side and CPU
    for line in (f"mlplab ({backend}), guard on:", "guard on / guard off time",
                 f"speed-up of mlplab ({backend}) over mlplab (numpy, CPU) per step",
                 "mlplab sweep (numpy, CPU):",
                 f"speed-up of mlplab ({backend}) over mlplab sweep (numpy, CPU)"):
        assert line in output
    assert re.search(r"final errors, alpha <= 10: .*: agree$", output, re.MULTILINE)
    assert "PyTorch (cuda)" not in output  # torch is skipped off CuPy


def test_tiny_mode_on_numpy_prints_every_section_and_ratio():
    result = run_script("--backend", "numpy", "--tiny", "--repeats", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "backend numpy" in result.stdout.splitlines()[1]
    check_tiny_output(result.stdout, "numpy")


def test_tiny_mode_on_array_api_strict_runs_every_section():
    pytest.importorskip("array_api_strict")
    result = run_script("--backend", "array_api_strict", "--tiny", "--repeats", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    check_tiny_output(result.stdout, "array_api_strict")


@pytest.mark.skipif(any(importlib.util.find_spec(m) for m in ("cupy", "torch")),
                    reason="CuPy or PyTorch is installed: this run would measure, not skip")
def test_without_cupy_or_pytorch_says_what_is_missing_and_exits_0():
    result = run_script("--repeats", "1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith("CuPy: not installed")
    assert lines[2].startswith("PyTorch: not installed")
    assert lines[-1] == "no CUDA GPU: nothing to measure; run this on a machine with one"
