"""The demo's digits example reaches the accuracy the README promises."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits.py"


def test_digits_example_reaches_95_percent():
    pytest.importorskip("sklearn")
    out = subprocess.run([sys.executable, str(EXAMPLE)], check=True, capture_output=True,
                         text=True).stdout
    accuracy = float(out.split("test accuracy")[1].split()[0])
    assert accuracy >= 0.95
