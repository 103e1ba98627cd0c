"""Training throughput at MNIST scale: mlplab against PyTorch (CPU) and scikit-learn.

One epoch on 60000 x 784 float32 synthetic data, a 784-256-10 ReLU network,
softmax cross-entropy, mini-batches of 128, plain SGD (learning rate 0.01,
shuffled), for each library in the same process, the same data given to all.
Prints samples per second, the ratios, and mlplab's achieved GFLOP/s against
this machine's float32 matrix-product rate (measured here on one large
product).

    python bench/throughput.py [--repeats 3] [--epochs 1] [--threads N]

Every library gets the same number of threads (default: all cores) through
threadpoolctl for NumPy's BLAS (which scikit-learn shares) and
torch.set_num_threads for PyTorch. On a busy machine, BLAS threads that wait
for a core make timings erratic for every library; `--threads 1` then gives
the steadiest comparison. PyTorch and scikit-learn are optional: a missing
one is reported and skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
import warnings

import numpy as np

import mlplab

N, D, H, K, BATCH, ALPHA = 60000, 784, 256, 10, 128, 0.01
FLOPS_PER_SAMPLE = 6 * (D * H + H * K)  # forward 2 m n per product, backward twice that


def synthetic_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Learnable float32 data: labels from a random linear map of the inputs."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, D), dtype=np.float32)
    labels = (X @ rng.standard_normal((D, K), dtype=np.float32)).argmax(axis=1)
    return X, labels


def run_mlplab(X: np.ndarray, y: np.ndarray, epochs: int) -> float:
    net = mlplab.MLP([D, H, K], activation="relu", output_activation="softmax", seed=0,
                     dtype="float32")
    start = time.perf_counter()
    mlplab.fit(net, X, y, loss="softmax_crossentropy", optimizer=mlplab.sgd(ALPHA),
               epochs=epochs, batch_size=BATCH, seed=0)
    return time.perf_counter() - start


def run_torch(X: np.ndarray, y: np.ndarray, epochs: int) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(D, H), torch.nn.ReLU(), torch.nn.Linear(H, K))
    optimizer = torch.optim.SGD(model.parameters(), lr=ALPHA)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(N)
        for i in range(0, N, BATCH):
            rows = order[i:i + BATCH]
            optimizer.zero_grad()
            loss_fn(model(X_t[rows]), y_t[rows]).backward()
            optimizer.step()
    return time.perf_counter() - start


def run_sklearn(X: np.ndarray, y: np.ndarray, epochs: int) -> float | None:
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    model = MLPClassifier(hidden_layer_sizes=(H,), solver="sgd", learning_rate_init=ALPHA,
                          momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                          batch_size=BATCH, max_iter=epochs, shuffle=True, random_state=0,
                          tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def matmul_gflops() -> float:
    """This machine's float32 matrix-product rate, GFLOP/s (best of a few 2048^3 products)."""
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    best = min(_timed(lambda: a @ a) for _ in range(5))
    return 2 * 2048**3 / best / 1e9


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with _threads(args.threads):
        _compare(args)


@contextlib.contextmanager
def _threads(n: int):
    """The same thread count for NumPy's BLAS and for PyTorch."""
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # comes with scikit-learn; without it, BLAS keeps its default
        yield
        return
    with threadpool_limits(limits=n):
        yield


def _compare(args: argparse.Namespace) -> None:
    X, y = synthetic_data()
    runners = {"mlplab": run_mlplab, "pytorch": run_torch, "scikit-learn": run_sklearn}
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every library alike
        for name, runner in runners.items():
            seconds = runner(X, y, args.epochs)
            if seconds is not None:
                times[name].append(seconds)
    rate = matmul_gflops()
    samples = N * args.epochs
    print(f"{args.epochs} epoch(s) of {N} x {D} float32, {D}-{H}-{K} ReLU, softmax "
          f"cross-entropy, batch {BATCH}, SGD; {args.threads} thread(s); median of "
          f"{args.repeats}")
    speed = {name: samples / statistics.median(ts) for name, ts in times.items() if ts}
    for name in runners:
        if name in speed:
            print(f"  {name:<13} {samples / speed[name]:7.2f} s  {speed[name]:9.0f} samples/s")
        else:
            print(f"  {name:<13} not installed")
    for peer in ("pytorch", "scikit-learn"):
        if peer in speed:
            print(f"mlplab / {peer}: {speed['mlplab'] / speed[peer]:.2f}x the samples per second")
    achieved = speed["mlplab"] * FLOPS_PER_SAMPLE / 1e9
    print(f"mlplab: {achieved:.0f} GFLOP/s of the machine's {rate:.0f} GFLOP/s float32 "
          f"matrix-product rate ({achieved / rate:.0%})")


if __name__ == "__main__":
    main()
