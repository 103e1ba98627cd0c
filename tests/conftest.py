"""Shared test helpers: a central finite difference to check every backward against, and
the playground's server with a headless Chromium for the browser tests."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """d f / d x by (f(x + eps) - f(x - eps)) / 2 eps, one entry at a time, in float64.

    `x` is perturbed in place and restored; `f` must return a scalar.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        plus = float(f(x))
        x[index] = saved - eps
        minus = float(f(x))
        x[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.fixture
def numeric_gradient() -> Callable[..., np.ndarray]:
    """The central finite difference `central_difference(f, x, eps=1e-6)`."""
    return central_difference


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the tests marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked slow unless --runslow is given or -m names the marker."""
    if config.getoption("--runslow") or "slow" in config.getoption("markexpr", ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def gpu_backend_reason() -> str | None:
    """Why the CuPy tests cannot run here, or None when a CUDA GPU and CuPy are present."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'mlplab[gpu]')"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return "CuPy found no CUDA GPU"
    except Exception as error:  # no driver, no device: CuPy raises its own CUDA errors
        return f"CuPy cannot reach a CUDA GPU ({type(error).__name__}: {error})"
    return None


# Every backend a test parametrized with `backend` runs on: array-api-strict always (a
# strict CPU implementation of the standard, refusing silent conversion to NumPy, as CuPy
# does), CuPy where a GPU is present, skipped with the reason otherwise.
NON_NUMPY_BACKENDS = [
    pytest.param("array_api_strict", id="strict"),
    pytest.param("cupy", id="cupy", marks=pytest.mark.skipif(
        gpu_backend_reason() is not None, reason=str(gpu_backend_reason()))),
]


@pytest.fixture(params=NON_NUMPY_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of a non-NumPy backend to compare with NumPy."""
    return request.param


# Debian's Chromium, as `.ci/run` installs it (`playwright install` cannot download browsers
# here). Without the background-networking flags it keeps trying to reach Google's hosts.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium driven by Playwright; skips, saying why, when either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright is not installed (pip install playwright)")
    executable = next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                       "google-chrome") if shutil.which(name)),
                      None)
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def playground_url() -> Iterator[str]:
    """`mlplab playground` running in its own process on a free port: its base URL."""
    pytest.importorskip("starlette", reason="the playground extra is not installed")
    process = subprocess.Popen([sys.executable, "-m", "mlplab", "playground"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        if " at " not in line:
            pytest.fail(f"mlplab playground did not start: {line}{process.stderr.read()}")
        yield line.split(" at ")[1].split()[0].rstrip("/")
    finally:
        process.terminate()
        process.communicate(timeout=20)
